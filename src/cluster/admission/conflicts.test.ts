import assert from "node:assert/strict";
import { test } from "node:test";
import { conflictWarnings, type PeerPolicy } from "./conflicts.ts";
import { admissionWarnings } from "./message.ts";
import { checkPolicy } from "./check.ts";

const nodes = ["node-1", "node-2", "node-3"].map((name, i) => ({ name, labels: { "kubernetes.io/hostname": name, role: i < 2 ? "storage" : "edge" } }));
const bridge = (mtu: number) => ({ interfaces: [{ name: "br-x", type: "linux-bridge", state: "up", mtu }] });
const peer = (name: string, mtu: number, creationTimestamp?: string, nodeSelector?: Record<string, string>): PeerPolicy => ({ name, creationTimestamp, spec: { desiredState: bridge(mtu), ...(nodeSelector ? { nodeSelector } : {}) } });

test("a new policy setting a field an existing one sets differently: warned with the field, the other policy, the shared nodes and the winner", () => {
  const found = conflictWarnings(peer("mtu-1410", 1410), [peer("mtu-1400", 1400, "2026-12-01T10:00:00Z", { role: "storage" })], nodes);
  assert.equal(found.length, 1);
  assert.deepEqual(found[0]!.nodes, ["node-1", "node-2"]);
  assert.deepEqual(found[0]!.issue.path, ["spec", "desiredState", "interfaces", 0, "mtu"]);
  assert.match(found[0]!.issue.message, /^br-x\.mtu is 1410 here but 1400 in policy mtu-1400, which selects the same nodes: mtu-1400 is older and wins; this policy will report a Conflict there/);
  const check = checkPolicy({ name: "mtu-1410", spec: { desiredState: bridge(1410) } }, nodes, { maxStates: 10, budgetMs: 1000 }, [peer("mtu-1400", 1400, "2026-12-01T10:00:00Z")]);
  assert.match(admissionWarnings(check).join("\n"), /spec\.desiredState\.interfaces\[0\]\.mtu: br-x\.mtu is 1410 here but 1400 in policy mtu-1400.*\(on node-1, node-2 and node-3\)/);
});

test("no warning: the same value, no shared node, a policy being deleted, itself, or captures", () => {
  const self = peer("b", 1410, "2026-12-01T10:00:05Z", { role: "edge" });
  assert.deepEqual(conflictWarnings(self, [peer("a", 1410, "2026-12-01T10:00:00Z")], nodes), []);
  assert.deepEqual(conflictWarnings(self, [peer("a", 1400, "2026-12-01T10:00:00Z", { role: "storage" })], nodes), []);
  assert.deepEqual(conflictWarnings(self, [{ ...peer("a", 1400, "2026-12-01T10:00:00Z"), deleting: true }], nodes), []);
  assert.deepEqual(conflictWarnings(self, [peer("b", 1400, "2026-12-01T10:00:05Z")], nodes), []);
  assert.deepEqual(conflictWarnings(self, [{ name: "a", spec: { capture: { x: "interfaces" }, desiredState: bridge(1400) } }], nodes), []);
});

test("an older policy changed to conflict with a younger one is told it wins", () => {
  const [found] = conflictWarnings(peer("old", 1500, "2026-12-01T10:00:00Z"), [peer("young", 9000, "2026-12-01T11:00:00Z")], nodes);
  assert.match(found!.issue.message, /this policy is older and wins; young will report a Conflict there/);
});
