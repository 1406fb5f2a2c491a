import assert from "node:assert/strict";
import { test } from "node:test";
import type { Enactment } from "../api/enactment.ts";
import type { Policy } from "../api/policy.ts";
import { enactmentConditions, type EnactmentPhase } from "../handler/enactment-conditions.ts";
import { selects } from "../handler/selection.ts";
import { countPolicy, policyConditions, policyVerdict, type NodeFacts } from "./policy-status.ts";

const policy: Policy = { metadata: { name: "p", generation: 2 }, spec: { nodeSelector: { role: "worker" } } };
const node = (name: string, extra: Partial<NodeFacts> = {}): NodeFacts => ({ name, ready: true, handled: true, labels: { role: "worker" }, ...extra });
const enactment = (node: string, phase: EnactmentPhase["phase"], generation = 2): Enactment => ({
  metadata: { name: `${node}.p`, labels: { "nmstate.io/node": node, "nmstate.io/policy": "p" } },
  status: { policyGeneration: generation, conditions: enactmentConditions([], { phase, message: "" }) },
});
const verdict = (nodes: NodeFacts[], enactments: Enactment[]) => policyVerdict(countPolicy(policy, nodes, enactments, selects));

test("upstream's messages: success, failure with aborts, progress, no match", () => {
  const three = [node("a"), node("b"), node("c")];
  assert.deepEqual(verdict(three, [enactment("a", "Available"), enactment("b", "Available"), enactment("c", "Available")]), { true: "Available", reason: "SuccessfullyConfigured", message: "3/3 nodes successfully configured" });
  assert.deepEqual(verdict(three, [enactment("a", "Failing"), enactment("b", "Aborted"), enactment("c", "Aborted")]), {
    true: "Degraded",
    reason: "FailedToConfigure",
    message: "1/3 nodes failed to configure, 2 nodes aborted configuration",
  });
  assert.deepEqual(verdict(three, [enactment("a", "Available"), enactment("b", "Progressing"), enactment("c", "Pending")]), { true: "Progressing", reason: "ConfigurationProgressing", message: "Policy is progressing 1/3 nodes finished" });
  assert.deepEqual(verdict([node("x", { labels: {} })], []), { true: "Ignored", reason: "NoMatchingNode", message: "Policy does not match any node" });
});

test("only nodes with a handler count; NotReady ones are named and do not hold progress back", () => {
  const nodes = [node("a"), node("b", { ready: false }), node("c", { handled: false })];
  assert.deepEqual(verdict(nodes, [enactment("a", "Available")]), { true: "Available", reason: "SuccessfullyConfigured", message: "1/2 nodes successfully configured, 1 nodes ignored due to NotReady state" });
});

test("enactments of an older generation do not count", () => {
  assert.equal(verdict([node("a")], [enactment("a", "Available", 1)]).true, "Progressing");
});

test("all four conditions are written, one True", () => {
  const conditions = policyConditions([], { true: "Available", reason: "SuccessfullyConfigured", message: "1/1 nodes successfully configured" });
  assert.deepEqual(conditions.map((c) => [c.type, c.status]), [["Available", "True"], ["Degraded", "False"], ["Progressing", "False"], ["Ignored", "False"]]);
});
