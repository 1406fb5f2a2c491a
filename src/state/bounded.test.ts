import assert from "node:assert/strict";
import { test } from "node:test";
import { boundedDetails, boundedList, STATUS_DETAIL_LIMITS } from "./bounded.ts";

test("a list in a message shows its first items and counts the rest", () => {
  const items = Array.from({ length: 1000 }, (_, i) => `interfaces.v${i}.mtu: expected 1400, found 1500`);
  const message = boundedList(items);
  assert.equal(message, `${items.slice(0, 3).join("; ")}; …and 997 more`);
  assert.ok(message.length < 200);
  assert.equal(boundedList(items.slice(0, 3)), items.slice(0, 3).join("; "));
  assert.equal(boundedList(["a", "b"], { max: 1, separator: "\n" }), "a\n…and 1 more");
  assert.equal(boundedList([]), "");
});

test("a status's detail list keeps every item within its limits and counts what did not fit", () => {
  const items = Array.from({ length: 1000 }, (_, i) => `interfaces.v${i}.mtu: expected 1400, found 1500`);
  assert.deepEqual(boundedDetails(items), items, "1000 short items fit whole");
  const many = Array.from({ length: 5000 }, (_, i) => `interfaces.v${i}: expected present, found absent`);
  const kept = boundedDetails(many);
  assert.equal(kept.length, STATUS_DETAIL_LIMITS.maxItems);
  assert.equal(kept.at(-1), `…and ${5000 - (STATUS_DETAIL_LIMITS.maxItems - 1)} more`);
  const long = Array.from({ length: 300 }, (_, i) => `interfaces.v${i}.description: expected "${"é".repeat(2000)}"`);
  const cut = boundedDetails(long);
  assert.ok(cut.every((d) => Buffer.byteLength(d) <= STATUS_DETAIL_LIMITS.maxItemBytes));
  assert.ok(Buffer.byteLength(cut.join("")) <= STATUS_DETAIL_LIMITS.maxBytes);
  assert.ok(cut.length < 300, "the 64 KiB limit cut the list");
  assert.match(cut.at(-1)!, /^…and \d+ more$/);
  assert.match(cut[0]!, /…$/);
  assert.deepEqual(boundedDetails([]), []);
});
