/**
 * Lease-based leader election with real processes on a control plane of its
 * own: one of two candidates leads; SIGKILL the leader and the other takes
 * over within the lease duration (measured and printed); a leader that stops
 * (SIGTERM) releases the lease and hands over at once.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { after, describe, test } from "node:test";
import { eventually, ownLab } from "./helpers.ts";

const CANDIDATE = new URL("./fixtures/leader-candidate.ts", import.meta.url).pathname;
const LEASE_MS = 6_000;
const RENEW_MS = 4_000;
const RETRY_MS = 1_000;

interface Candidate {
  identity: string;
  child: ChildProcess;
  events: { event: string; at: number; leader?: string }[];
}

describe("leader election (Lease)", () => {
  const candidates: Candidate[] = [];
  // Registered before the lab's own `after`, so candidates die before their API server does.
  after(() => {
    for (const c of candidates) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  });
  const lab = ownLab("leader");

  function start(identity: string): Candidate {
    const kubeconfig = lab().state.controlPlane!.kubeconfigs.admin;
    const child = spawn(process.execPath, [CANDIDATE, kubeconfig, "kube-system", "nodenet-test", identity, String(LEASE_MS), String(RENEW_MS), String(RETRY_MS)], { stdio: ["ignore", "pipe", "inherit"] });
    const candidate: Candidate = { identity, child, events: [] };
    createInterface(child.stdout!).on("line", (line) => candidate.events.push(JSON.parse(line) as Candidate["events"][number]));
    candidates.push(candidate);
    return candidate;
  }

  const leads = (c: Candidate) => c.events.filter((e) => e.event === "leading").length;
  const leaders = () => candidates.filter((c) => c.child.exitCode === null && c.child.signalCode === null && leads(c) > c.events.filter((e) => e.event === "stopped").length);

  test("two candidates, one leader; SIGKILL it and the other takes over within the lease duration", async () => {
    const a = start("candidate-a");
    const b = start("candidate-b");
    const first = await eventually("a leader", 30_000, () => (leaders().length ? leaders() : undefined));
    assert.equal(first.length, 1, "exactly one leads");
    await new Promise((r) => setTimeout(r, 3 * RETRY_MS));
    assert.equal(leaders().length, 1, "still exactly one after a few renewals");
    const leader = first[0]!;
    const follower = leader === a ? b : a;

    const killedAt = Date.now();
    leader.child.kill("SIGKILL");
    const takeover = await eventually("the follower to lead", LEASE_MS * 3, () => follower.events.find((e) => e.event === "leading"));
    const handoverMs = takeover.at - killedAt;
    process.stdout.write(`# leader ${leader.identity} killed; ${follower.identity} took over after ${(handoverMs / 1000).toFixed(2)}s (lease duration ${LEASE_MS / 1000}s, retry period ${RETRY_MS / 1000}s)\n`);
    assert.ok(handoverMs <= LEASE_MS + 2 * RETRY_MS + 500, `handover took ${handoverMs} ms`);
    assert.ok(handoverMs >= LEASE_MS - 2 * RETRY_MS, `nobody may take over a lease that has not expired (${handoverMs} ms)`);
  });

  test("a leader that stops releases the lease: the next one leads within a retry period", async () => {
    const leader = leaders()[0]!;
    const next = start("candidate-c");
    await eventually("candidate-c to see the leader", 10_000, () => next.events.find((e) => e.event === "new-leader"));
    const stoppedAt = Date.now();
    leader.child.kill("SIGTERM");
    const takeover = await eventually("candidate-c to lead", LEASE_MS * 2, () => next.events.find((e) => e.event === "leading"));
    const handoverMs = takeover.at - stoppedAt;
    process.stdout.write(`# ${leader.identity} released the lease; candidate-c led after ${(handoverMs / 1000).toFixed(2)}s\n`);
    assert.ok(leader.events.some((e) => e.event === "stopped"));
    assert.ok(handoverMs < LEASE_MS, `handover after release took ${handoverMs} ms`);
  });
});
