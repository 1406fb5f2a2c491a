import assert from "node:assert/strict";
import { test } from "node:test";
import { findCondition, isConditionTrue, kubeTime, sameConditions, setCondition, setConditions } from "./conditions.ts";

const t1 = new Date("2026-01-01T00:00:00.123Z");
const t2 = new Date("2026-01-01T00:05:00Z");

test("kubeTime has second precision like metav1.Time", () => {
  assert.equal(kubeTime(t1), "2026-01-01T00:00:00Z");
});

test("setCondition adds, then replaces by type; lastTransitionTime moves only when status changes", () => {
  let list = setCondition(undefined, { type: "Available", status: "False", reason: "ConfigurationProgressing" }, t1);
  assert.deepEqual(list, [{ type: "Available", status: "False", reason: "ConfigurationProgressing", lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" }]);
  list = setCondition(list, { type: "Available", status: "False", reason: "Other", message: "m" }, t2);
  assert.equal(list.length, 1);
  assert.equal(list[0]!.lastTransitionTime, "2026-01-01T00:00:00Z");
  assert.equal(list[0]!.lastHeartbeatTime, "2026-01-01T00:05:00Z");
  assert.equal(list[0]!.reason, "Other");
  list = setCondition(list, { type: "Available", status: "True", reason: "SuccessfullyConfigured" }, t2);
  assert.equal(list[0]!.lastTransitionTime, "2026-01-01T00:05:00Z");
  assert.equal(list[0]!.message, undefined, "a set replaces the whole condition");
});

test("setConditions keeps order and one condition per type", () => {
  const list = setConditions(
    [{ type: "Degraded", status: "True" }],
    [
      { type: "Available", status: "True" },
      { type: "Degraded", status: "False" },
      { type: "Progressing", status: "False" },
    ],
    t1,
  );
  assert.deepEqual(list.map((c) => c.type), ["Degraded", "Available", "Progressing"]);
  assert.ok(isConditionTrue(list, "Available"));
  assert.equal(findCondition(list, "Degraded")?.status, "False");
});

test("sameConditions ignores heartbeats and order, not transitions", () => {
  const a = setConditions(undefined, [{ type: "A", status: "True" }, { type: "B", status: "False" }], t1);
  const b = setConditions(a, [{ type: "B", status: "False" }, { type: "A", status: "True" }], t2);
  assert.ok(sameConditions(a, [...b].reverse()));
  assert.ok(!sameConditions(a, setCondition(a, { type: "A", status: "False" }, t2)));
});
