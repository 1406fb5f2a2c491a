import assert from "node:assert/strict";
import { test } from "node:test";
import { boundedList } from "./bounded.ts";

test("a list in a message shows its first items and counts the rest", () => {
  const items = Array.from({ length: 1000 }, (_, i) => `interfaces.v${i}.mtu: expected 1400, found 1500`);
  const message = boundedList(items);
  assert.equal(message, `${items.slice(0, 3).join("; ")}; …and 997 more`);
  assert.ok(message.length < 200);
  assert.equal(boundedList(items.slice(0, 3)), items.slice(0, 3).join("; "));
  assert.equal(boundedList(["a", "b"], { max: 1, separator: "\n" }), "a\n…and 1 more");
  assert.equal(boundedList([]), "");
});
