import assert from "node:assert/strict";
import { test } from "node:test";
import { maxUnavailableNodes, selects } from "./selection.ts";
import { decideSlot, releaseSlot, type HolderState, type Slot } from "./slots.ts";

const now = new Date("2026-11-21T12:00:00Z");
const slot = (node: string, generation = 1): Slot => ({ node, generation, since: now.toISOString() });
const states = (map: Record<string, HolderState>) => (node: string) => map[node] ?? "missing";

test("maxUnavailable: integers, percentages rounded down, default 50%, at least one", () => {
  assert.equal(maxUnavailableNodes(2, 10), 2);
  assert.equal(maxUnavailableNodes("30%", 10), 3);
  assert.equal(maxUnavailableNodes("30%", 3), 1, "0.9 rounds down to 0, then at least 1");
  assert.equal(maxUnavailableNodes(undefined, 3), 1);
  assert.equal(maxUnavailableNodes(undefined, 4), 2);
  assert.equal(maxUnavailableNodes("1", 4), 1);
  assert.equal(maxUnavailableNodes(0, 4), 1);
  assert.equal(maxUnavailableNodes("half", 4), 2, "a value the API server would refuse (stored before its rule): the default, as upstream");
});

test("nodeSelector is label equality on every key", () => {
  assert.equal(selects(undefined, { a: "1" }), true);
  assert.equal(selects({ a: "1" }, { a: "1", b: "2" }), true);
  assert.equal(selects({ a: "1", b: "3" }, { a: "1", b: "2" }), false);
  assert.equal(selects({ "node-role.kubernetes.io/worker": "" }, { "node-role.kubernetes.io/worker": "" }), true);
});

test("a free slot is granted; a held one is reported as held", () => {
  const granted = decideSlot("n1", [], 1, 1, states({}), now);
  assert.equal(granted.kind, "granted");
  assert.deepEqual(granted.slots.map((s) => s.node), ["n1"]);
  assert.equal(decideSlot("n1", granted.slots, 1, 1, states({}), now).kind, "already-held");
});

test("a node waits while the slots are held by progressing nodes", () => {
  const decision = decideSlot("n2", [slot("n1")], 1, 1, states({ n1: "progressing" }), now);
  assert.deepEqual(decision, { kind: "wait", slots: [slot("n1")], holders: ["n1"] });
});

test("when failed nodes fill the slots, waiting nodes abort (the first failure is the canary)", () => {
  const decision = decideSlot("n2", [slot("n1")], 1, 1, states({ n1: "failing" }), now);
  assert.deepEqual(decision, { kind: "abort", slots: [slot("n1")], failed: ["n1"] });
  assert.equal(decideSlot("n3", [slot("n1"), slot("n2")], 1, 2, states({ n1: "failing", n2: "progressing" }), now).kind, "wait");
});

test("slots are never leaked: finished, vanished and older-generation holders free theirs", () => {
  for (const holder of ["available", "aborted", "missing"] as const) {
    assert.equal(decideSlot("n2", [slot("n1")], 1, 1, states({ n1: holder }), now).kind, "granted", holder);
  }
  assert.equal(decideSlot("n2", [slot("n1", 1)], 2, 1, states({ n1: "failing" }), now).kind, "granted", "a new generation starts afresh");
  assert.deepEqual(releaseSlot("n1", [slot("n1"), slot("n2")], 1, states({ n1: "available", n2: "progressing" })), { slots: [slot("n2")], live: 1 });
});

test("a node writes back other nodes' slots as read (only its own changes), dropping only older generations'", () => {
  const others = [slot("n1"), slot("n3", 1), slot("n4", 2)];
  const granted = decideSlot("n2", others, 2, 2, states({ n1: "available", n4: "progressing" }), now);
  assert.equal(granted.kind, "granted");
  assert.deepEqual(granted.kind === "granted" ? granted.slots.map((s) => `${s.node}@${s.generation}`) : [], ["n4@2", "n2@2"]);
  assert.deepEqual(releaseSlot("n2", [slot("n1", 2), slot("n2", 2)], 2, states({ n1: "available" })), { slots: [slot("n1", 2)], live: 0 }, "a finished holder's slot stays (not counted)");
});
