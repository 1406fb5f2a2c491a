/**
 * Fault injection (issue 13, "Must show"): kill -9 of the applying process,
 * of its rollback watchdog, or of both, at random points of a real apply,
 * over seeded trials. Every trial must end, within the timeout + 5 s, with
 * the namespace exactly as before — or exactly as declared when the commit
 * had happened, never in between — no watchdog left, and a next apply that
 * works. Set NODENET_FAULT_SEED to replay a run; the seed is printed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { checkpointDirOf, kill9, readPending, waitFor, watchdogsFor } from "../helpers/checkpoints.ts";
import { TestNetns } from "../helpers/netns.ts";
import { kernelSnapshot } from "../helpers/snapshot.ts";

const BIN = new URL("../../bin/nodenet", import.meta.url).pathname;
const LANES = 4;
const TRIALS_PER_LANE = 6;
const TIMEOUT_S = 2;
const BRIDGES = 30;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A snapshot without what differs between two creations of the same interfaces: random MACs, the link-local addresses made from them, and the order the kernel lists those in. */
const declaredView = (snapshot: string) =>
  snapshot
    .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, "MAC")
    .replace(/fe80::[0-9a-f:]+[0-9a-f](?=[/ ]|$)/gm, "fe80::LL")
    .split("\n")
    .sort()
    .join("\n");

type Victim = "applier" | "watchdog" | "both";

const change = (lane: number) =>
  ["interfaces:", ...Array.from({ length: BRIDGES }, (_, i) => `- {name: fi${i}, type: linux-bridge, state: up, bridge: {port: []}, ipv4: {enabled: true, address: [{ip: 198.51.100.${lane * 50 + i + 1}, prefix-length: 32}]}}`)].join("\n") +
  `\nroutes: {config: [{destination: 203.0.113.${lane * 16}/28, next-hop-interface: fi0, metric: 77}]}\n`;
const removal = ["interfaces:", ...Array.from({ length: BRIDGES }, (_, i) => `- {name: fi${i}, state: absent}`)].join("\n") + "\n";

test(`kill -9 of applier, watchdog or both at random points: ${LANES * TRIALS_PER_LANE} seeded trials end restored or committed`, { timeout: 240_000 }, async (t) => {
  const seed = Number(process.env.NODENET_FAULT_SEED ?? Date.now() % 2 ** 31);
  t.diagnostic(`seed ${seed} (replay with NODENET_FAULT_SEED=${seed})`);
  const random = prng(seed);
  // Draw every trial's plan up front, so the lanes' interleaving does not change what a seed means.
  const plans = Array.from({ length: LANES * TRIALS_PER_LANE }, () => ({
    victim: (["applier", "watchdog", "both"] as const)[Math.floor(random() * 3)]! as Victim,
    commit: random() < 0.5,
    delayMs: Math.floor(random() * 1500),
  }));
  const outcomes: string[] = [];

  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const ns = await TestNetns.create(`fault${lane}`, t);
      const [desiredFile, removalFile] = stateFiles(t, change(lane), removal);
      const before = await kernelSnapshot(ns);
      // What "committed" looks like, from one undisturbed apply.
      assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", desiredFile!])).code, 0);
      await ns.settle(); // the kernel adds link-local routes once duplicate address detection ends
      const applied = declaredView(await kernelSnapshot(ns));
      assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", removalFile!])).code, 0);
      assert.equal(await kernelSnapshot(ns), before);
      const dir = checkpointDirOf(ns.name);

      for (let trial = 0; trial < TRIALS_PER_LANE; trial++) {
        const number = lane * TRIALS_PER_LANE + trial;
        const plan = plans[number]!;
        const label = `trial ${number + 1} (${plan.victim}, ${plan.commit ? "commit" : "--no-commit"}, +${plan.delayMs} ms)`;
        const applier = spawn(BIN, ["apply", "--netns", ns.name, "--no-probes", "--timeout", String(TIMEOUT_S), ...(plan.commit ? [] : ["--no-commit"]), desiredFile!], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        applier.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<void>((resolve) => applier.on("close", () => resolve()));
        const started = Date.now();
        let deadline = started + (TIMEOUT_S + 15) * 1000; // refined from the checkpoint once it is seen
        const watchCheckpoint = setInterval(() => {
          const pending = readPending(dir);
          if (pending?.deadline) deadline = pending.deadline;
        }, 20);

        if (plan.victim === "applier") {
          await sleep(plan.delayMs);
          kill9(applier.pid);
        } else {
          // The watchdog exists from just before the checkpoint is written until the change is committed or rolled back.
          await Promise.race([waitFor("a watchdog", () => watchdogsFor(dir).length > 0, 20_000), exited]);
          await sleep(plan.delayMs / 3);
          for (const pid of watchdogsFor(dir)) kill9(pid);
          if (plan.victim === "both") kill9(applier.pid);
        }
        await exited;
        clearInterval(watchCheckpoint);

        // A killed watchdog leaves its checkpoint to the next nodenet command: run one at the deadline.
        await waitFor(`${label}: the deadline`, () => Date.now() >= Math.min(deadline, started + 30_000), 40_000);
        const status = await nodenet(["show", "--netns", ns.name]);
        assert.equal(status.code, 0, `${label}: show: ${status.stderr}`);
        await waitFor(`${label}: no checkpoint, no watchdog`, () => readPending(dir) === undefined && watchdogsFor(dir).length === 0, Math.max(0, deadline + 5000 - Date.now()));
        await ns.settle();
        const end = await kernelSnapshot(ns);
        const committed = declaredView(end) === applied;
        const differs = (a: string, b: string) => a.split("\n").filter((l) => !b.split("\n").includes(l));
        assert.ok(
          committed || end === before,
          `${label}: the namespace is neither as before nor as declared; beyond the declared state: ${JSON.stringify(differs(declaredView(end), applied))}, missing: ${JSON.stringify(differs(applied, declaredView(end)))}\napplier said:\n${stderr}`,
        );
        if (/^committed$/m.test(stderr)) assert.ok(committed, `${label}: the applier said committed, yet the change is gone`);
        outcomes.push(`${label}: ${committed ? "committed" : "restored"}${status.stderr.includes("rolled back the change") ? " (by the next command)" : ""}`);

        // The next apply works, and puts the lane back to "before" for the next trial.
        const next = await nodenet(["apply", "--netns", ns.name, "--no-probes", removalFile!]);
        assert.equal(next.code, 0, `${label}: the next apply: ${next.stderr}`);
        assert.equal(await kernelSnapshot(ns), before, `${label}: the next apply restored the lane`);
      }
    }),
  );
  for (const line of outcomes.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))) t.diagnostic(line);
  t.diagnostic(`${outcomes.length} trials, seed ${seed}: ${outcomes.filter((o) => o.includes("committed")).length} committed, ${outcomes.filter((o) => o.includes("restored")).length} restored`);
  assert.equal(outcomes.length, LANES * TRIALS_PER_LANE);
});
