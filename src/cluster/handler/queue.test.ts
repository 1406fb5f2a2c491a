import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue } from "./queue.ts";

test("a work queue holds keys until resumed, then processes each key once", async () => {
  const seen: string[] = [];
  const queue = new WorkQueue(async (key) => {
    seen.push(key);
    return {};
  }, () => {});
  queue.add("a");
  queue.add("b");
  queue.add("a");
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(seen, [], "nothing runs while the owner is still recovering");
  queue.resume();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await queue.idle();
  assert.deepEqual(seen, ["a", "b"]);
  queue.stop();
});
