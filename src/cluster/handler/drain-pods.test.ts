import assert from "node:assert/strict";
import { test } from "node:test";
import { describeBlock, dispositionOf, evictionOutcome, timeoutMessage, waitingMessage, type PodFacts } from "./drain-pods.ts";

const pod = (name: string, fields: Partial<PodFacts> = {}): PodFacts => ({ namespace: "shop", name, uid: `uid-${name}`, mirror: false, terminating: false, phase: "Running", ...fields });

test("which pods a drain evicts: not DaemonSet, mirror, terminating or finished ones", () => {
  const table: [PodFacts, string][] = [
    [pod("web-1", { controller: { kind: "ReplicaSet", name: "web-abc" } }), "evict"],
    [pod("bare"), "evict"],
    [pod("pending", { phase: "Pending" }), "evict"],
    [pod("agent", { controller: { kind: "DaemonSet", name: "agent" } }), "daemonset"],
    [pod("etcd-node-1", { mirror: true, controller: { kind: "Node", name: "node-1" } }), "mirror"],
    [pod("leaving", { terminating: true }), "terminating"],
    [pod("job-1", { phase: "Succeeded", controller: { kind: "Job", name: "job" } }), "finished"],
    [pod("crashed", { phase: "Failed" }), "finished"],
  ];
  for (const [p, expected] of table) {
    const d = dispositionOf(p);
    assert.equal(d.action === "evict" ? "evict" : d.why, expected, p.name);
  }
});

test("Eviction API refusals: a PodDisruptionBudget is named, waits are told from failures", () => {
  // What kube-apiserver 1.37 answers (pkg/registry/core/pod/storage/eviction.go).
  const pdb = evictionOutcome({
    code: 429,
    reason: "TooManyRequests",
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    causes: [{ reason: "DisruptionBudget", message: "The disruption budget web-pdb needs 3 healthy pods and has 3 currently" }],
  });
  assert.deepEqual(pdb, { kind: "blocked", budget: "web-pdb", detail: "needs 3 healthy pods and has 3 currently" });
  assert.deepEqual(
    evictionOutcome({ code: 429, causes: [{ reason: "DisruptionBudget", message: "The disruption budget web-pdb is still being processed by the server." }] }),
    { kind: "blocked", budget: "web-pdb", detail: "is still being processed by the server" },
  );
  assert.deepEqual(
    evictionOutcome({ code: 403, causes: [{ reason: "DisruptionBudget", message: "The disruption budget db does not allow evicting pods currently: pdb disruptions allowed is negative" }] }),
    { kind: "blocked", budget: "db", detail: "does not allow evicting pods currently: pdb disruptions allowed is negative" },
  );
  assert.deepEqual(evictionOutcome({ code: 429, causes: [] }), { kind: "blocked", detail: "HTTP 429" });
  assert.deepEqual(evictionOutcome({ code: 500, message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", causes: [] }), {
    kind: "blocked",
    detail: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
  });
  assert.deepEqual(evictionOutcome({ code: 404, causes: [] }), { kind: "gone" });
  assert.deepEqual(evictionOutcome({ code: 409, reason: "Conflict", causes: [] }), { kind: "gone" }, "uid precondition: a namesake, not the pod the drain saw");
  // Not the budget's doing: the caller fails instead of waiting.
  assert.equal(evictionOutcome({ code: 403, reason: "Forbidden", causes: [] }), undefined);
  assert.equal(evictionOutcome({ code: 422, causes: [] }), undefined);
  assert.equal(evictionOutcome(undefined), undefined);
});

test("wait and timeout messages name the pod and the budget", () => {
  const blocked = { pod: pod("web-1"), outcome: { kind: "blocked" as const, budget: "web-pdb", detail: "needs 3 healthy pods and has 3 currently" } };
  assert.equal(describeBlock(blocked), "evicting shop/web-1 would violate PodDisruptionBudget web-pdb (needs 3 healthy pods and has 3 currently)");
  assert.equal(waitingMessage([blocked]), "waiting: evicting shop/web-1 would violate PodDisruptionBudget web-pdb (needs 3 healthy pods and has 3 currently)");
  assert.match(waitingMessage([blocked, blocked, blocked]), /; 2 more pods blocked$/);
  assert.equal(describeBlock({ pod: pod("x"), outcome: { kind: "blocked", detail: "HTTP 500" } }), "evicting shop/x is refused for now: HTTP 500");
  assert.equal(
    timeoutMessage(60_000, [blocked], []),
    "drain timed out after 60s: evicting shop/web-1 would violate PodDisruptionBudget web-pdb (needs 3 healthy pods and has 3 currently)",
  );
  assert.equal(timeoutMessage(30_000, [], ["shop/a", "shop/b"]), "drain timed out after 30s waiting for 2 evicted pods to terminate (shop/a, shop/b)");
  assert.equal(timeoutMessage(30_000, [], ["a", "b", "c", "d"]), "drain timed out after 30s waiting for 4 evicted pods to terminate (a, b, c, …)");
});
