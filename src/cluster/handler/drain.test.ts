/** drainNode / uncordonNode / recoverDrain against an in-memory API: cordon ownership, budgets, timeouts, crash recovery. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import { NodenetError } from "../../errors.ts";
import type { EvictionOutcome, PodFacts } from "./drain-pods.ts";
import { drainNode, recoverDrain, uncordonNode, type CordonState, type DrainApi } from "./drain.ts";

interface FakePod extends PodFacts {
  node: string;
  /** Budget guarding it (name). */
  budget?: string;
  /** Polls until the "kubelet" confirms its deletion. */
  terminatesAfter?: number;
}

/** A node, its pods and PodDisruptionBudgets, with what an API server and a kubelet would do to them. */
class FakeCluster implements DrainApi {
  state: CordonState = { resourceVersion: "1", unschedulable: false };
  pods: FakePod[] = [];
  /** Disruptions each budget allows now. */
  budgets = new Map<string, number>();
  writes: { unschedulable: boolean; marker: string | null }[] = [];
  /** Another writer changes the node between our read and our write this many times. */
  conflicts = 0;
  failures: unknown[] = [];
  evictions = 0;

  private bump() {
    this.state = { ...this.state, resourceVersion: String(Number(this.state.resourceVersion) + 1) };
  }

  async node(): Promise<CordonState | undefined> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    return { ...this.state };
  }

  async setCordon(_name: string, resourceVersion: string, cordon: { unschedulable: boolean; marker: string | null }): Promise<"ok" | "conflict"> {
    if (this.conflicts > 0) {
      this.conflicts--;
      this.bump();
      return "conflict";
    }
    if (resourceVersion !== this.state.resourceVersion) return "conflict";
    this.writes.push(cordon);
    this.state = { resourceVersion: this.state.resourceVersion, unschedulable: cordon.unschedulable, ...(cordon.marker !== null ? { marker: cordon.marker } : {}) };
    this.bump();
    return "ok";
  }

  async podsOn(node: string): Promise<PodFacts[]> {
    // The kubelet's part: terminating pods go away after a while.
    for (const p of this.pods) if (p.terminating && p.terminatesAfter !== undefined) p.terminatesAfter--;
    this.pods = this.pods.filter((p) => !(p.terminating && (p.terminatesAfter ?? 0) < 0));
    return this.pods.filter((p) => p.node === node).map((p) => ({ ...p }));
  }

  async evict(pod: PodFacts): Promise<EvictionOutcome> {
    this.evictions++;
    const live = this.pods.find((p) => p.uid === pod.uid);
    if (!live) return { kind: "gone" };
    if (live.budget) {
      const allowed = this.budgets.get(live.budget) ?? 0;
      if (allowed <= 0) return { kind: "blocked", budget: live.budget, detail: "needs 2 healthy pods and has 2 currently" };
      this.budgets.set(live.budget, allowed - 1);
    }
    live.terminating = true;
    return { kind: "evicted" };
  }
}

const pod = (name: string, fields: Partial<FakePod> = {}): FakePod => ({
  namespace: "shop",
  name,
  uid: `uid-${name}`,
  node: "node-1",
  mirror: false,
  terminating: false,
  phase: "Running",
  controller: { kind: "ReplicaSet", name: "web-abc" },
  terminatesAfter: 1,
  ...fields,
});

const fast = { pollMs: 5, retryMs: { initial: 5, max: 20 } };

test("drain: cordons with the marker in one write, evicts what it should, waits for the pods to go; uncordon undoes it", async () => {
  const api = new FakeCluster();
  api.pods = [pod("web-1"), pod("web-2"), pod("agent", { controller: { kind: "DaemonSet", name: "agent" } }), pod("elsewhere", { node: "node-2" }), pod("done", { phase: "Succeeded" })];
  const result = await drainNode(api, "node-1", { owner: "br1@2", timeoutMs: 5_000, ...fast });
  assert.equal(result.ok, true);
  assert.deepEqual(result.evicted, ["shop/web-1", "shop/web-2"]);
  assert.equal(result.cordonedByNodenet, true);
  assert.deepEqual(api.writes, [{ unschedulable: true, marker: "br1@2" }]);
  assert.deepEqual(api.pods.map((p) => p.name), ["agent", "elsewhere", "done"], "evicted pods are gone before the drain returns");
  assert.equal(await uncordonNode(api, "node-1"), "br1@2");
  assert.deepEqual(api.state, { resourceVersion: "3", unschedulable: false });
  assert.equal(await uncordonNode(api, "node-1"), undefined, "idempotent");
  assert.equal(api.writes.length, 2);
});

test("a node someone else cordoned is drained but never uncordoned", async () => {
  const api = new FakeCluster();
  api.state = { resourceVersion: "7", unschedulable: true };
  api.pods = [pod("web-1")];
  const result = await drainNode(api, "node-1", { owner: "br1@1", timeoutMs: 5_000, ...fast });
  assert.equal(result.ok && result.cordonedByNodenet, false);
  assert.deepEqual(api.writes, [], "no marker written");
  assert.equal(await uncordonNode(api, "node-1"), undefined);
  assert.equal(api.state.unschedulable, true, "still cordoned, as its owner left it");
});

test("a PodDisruptionBudget that forbids eviction: the drain waits, says why once per reason, and proceeds when the budget allows", async () => {
  const api = new FakeCluster();
  api.pods = [pod("web-1", { budget: "web-pdb" }), pod("cache-1")];
  api.budgets.set("web-pdb", 0);
  const waits: string[] = [];
  const draining = drainNode(api, "node-1", {
    owner: "br1@1",
    timeoutMs: 5_000,
    ...fast,
    onWaiting: (m) => {
      waits.push(m);
      setTimeout(() => api.budgets.set("web-pdb", 1), 50);
    },
  });
  const result = await draining;
  assert.equal(result.ok, true);
  assert.deepEqual(waits, ["waiting: evicting shop/web-1 would violate PodDisruptionBudget web-pdb (needs 2 healthy pods and has 2 currently)"]);
  assert.deepEqual([...result.evicted].sort(), ["shop/cache-1", "shop/web-1"]);
  assert.ok(api.evictions > 3, "retried the blocked pod");
});

test("a budget that never allows it: timed out after timeoutMs, naming the budget; the node is still ours to uncordon", async () => {
  const api = new FakeCluster();
  api.pods = [pod("web-1", { budget: "web-pdb" })];
  const started = Date.now();
  const result = await drainNode(api, "node-1", { owner: "br1@1", timeoutMs: 200, ...fast });
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.reason === "timed-out");
  assert.equal(!result.ok && result.message, "drain timed out after 0.2s: evicting shop/web-1 would violate PodDisruptionBudget web-pdb (needs 2 healthy pods and has 2 currently)");
  assert.ok(Date.now() - started < 1_000);
  assert.equal(api.state.unschedulable, true);
  assert.equal(await uncordonNode(api, "node-1"), "br1@1");
  assert.equal(api.state.unschedulable, false);
});

test("an evicted pod that never terminates (kubelet gone) times the drain out too", async () => {
  const api = new FakeCluster();
  api.pods = [pod("stuck", { terminatesAfter: 1_000_000 })];
  const result = await drainNode(api, "node-1", { owner: "p@1", timeoutMs: 100, ...fast });
  assert.equal(!result.ok && result.message, "drain timed out after 0.1s waiting for 1 evicted pod to terminate (shop/stuck)");
});

test("conflicts while cordoning are retried with a fresh read; an abort signal ends the wait", async () => {
  const api = new FakeCluster();
  api.conflicts = 3;
  api.pods = [pod("web-1", { budget: "web-pdb" })];
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const result = await drainNode(api, "node-1", { owner: "p@1", timeoutMs: 60_000, ...fast, signal: controller.signal });
  assert.ok(!result.ok && result.reason === "aborted");
  assert.deepEqual(api.writes, [{ unschedulable: true, marker: "p@1" }]);
});

test("a change no longer wanted (policy edited or deleted mid-drain) abandons the drain at the next round", async () => {
  const api = new FakeCluster();
  api.pods = [pod("web-1", { budget: "web-pdb" })];
  let wanted = true;
  setTimeout(() => (wanted = false), 50);
  const result = await drainNode(api, "node-1", { owner: "p@1", timeoutMs: 60_000, ...fast, stillWanted: () => wanted });
  assert.ok(!result.ok && result.reason === "aborted");
  assert.match(!result.ok ? result.message : "", /abandoned: the change is no longer wanted/);
  assert.equal(await uncordonNode(api, "node-1"), "p@1");
});

test("API errors: a refusal (403) fails the drain at once as backend-failed; a blip (no HTTP status) is retried", async () => {
  const forbidden = new ApiException(403, "forbidden", JSON.stringify({ code: 403, reason: "Forbidden", message: "nodes \"node-1\" is forbidden" }), {});
  const api = new FakeCluster();
  api.failures = [forbidden];
  await assert.rejects(drainNode(api, "node-1", { owner: "p@1", timeoutMs: 1_000, ...fast }), (e: unknown) => e instanceof NodenetError && e.kind === "backend-failed" && /draining node-1: cordoning: HTTP 403 Forbidden/.test(e.message));

  const flaky = new FakeCluster();
  flaky.pods = [pod("web-1")];
  const podsOn = flaky.podsOn.bind(flaky);
  let calls = 0;
  flaky.podsOn = async (node) => {
    if (calls++ === 0) throw new Error("socket hang up");
    return podsOn(node);
  };
  const result = await drainNode(flaky, "node-1", { owner: "p@1", timeoutMs: 5_000, ...fast });
  assert.equal(result.ok, true);
});

test("recoverDrain: a marker left by a handler that died mid-drain is uncordoned at start-up; otherwise nothing is written", async () => {
  const api = new FakeCluster();
  api.state = { resourceVersion: "9", unschedulable: true, marker: "br1@4" };
  const logs: string[] = [];
  assert.equal(await recoverDrain(api, "node-1", { log: (m) => logs.push(m) }), "br1@4");
  assert.equal(api.state.unschedulable, false);
  assert.equal(api.state.marker, undefined);
  assert.match(logs.join("\n"), /left cordoned by an unfinished drain \(br1@4\)/);
  assert.equal(await recoverDrain(api, "node-1"), undefined);
  assert.equal(api.writes.length, 1);

  // A drain that finds its own (or a dead drain's) marker takes the cordon over instead of treating it as someone else's.
  const again = new FakeCluster();
  again.state = { resourceVersion: "2", unschedulable: true, marker: "old@1" };
  const result = await drainNode(again, "node-1", { owner: "new@2", timeoutMs: 1_000, ...fast });
  assert.equal(result.ok && result.cordonedByNodenet, true);
  assert.equal(again.state.marker, "new@2");
});

test("uncordon keeps trying while the API server does not answer, then gives up with backend-failed", async () => {
  const api = new FakeCluster();
  api.state = { resourceVersion: "1", unschedulable: true, marker: "p@1" };
  api.failures = [new Error("connect ECONNREFUSED"), new Error("connect ECONNREFUSED")];
  assert.equal(await uncordonNode(api, "node-1", { retryForMs: 10_000 }), "p@1");
  api.state = { resourceVersion: "5", unschedulable: true, marker: "p@1" };
  api.failures = Array.from({ length: 100 }, () => new Error("connect ECONNREFUSED"));
  await assert.rejects(uncordonNode(api, "node-1", { retryForMs: 300 }), /draining node-1: uncordoning: connect ECONNREFUSED/);
});
