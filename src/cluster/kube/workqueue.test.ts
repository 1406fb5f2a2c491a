import { test } from "node:test";
import assert from "node:assert/strict";
import { RateLimitingQueue } from "./workqueue.ts";

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

async function drain(queue: RateLimitingQueue, seen: string[], count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const key = await queue.next();
    if (key === undefined) return;
    seen.push(key);
    queue.done();
  }
}

test("a queue holds keys until resumed, then hands out each key once however often it was added", async () => {
  const queue = new RateLimitingQueue({ baseMs: 10, factor: 2, maxMs: 100 });
  const seen: string[] = [];
  queue.add("a");
  queue.add("b");
  queue.add("a");
  const taking = drain(queue, seen, 2);
  await tick();
  assert.deepEqual(seen, [], "nothing is handed out while the owner is still recovering");
  queue.resume();
  await taking;
  assert.deepEqual(seen, ["a", "b"]);
  await queue.idle();
  queue.stop();
  assert.equal(await queue.next(), undefined, "a stopped queue hands out nothing");
});

test("per-key exponential backoff, capped; forget resets one key and leaves the others", () => {
  const queue = new RateLimitingQueue({ baseMs: 10, factor: 3, maxMs: 100 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => queue.addRateLimited("a")), [10, 30, 90, 100, 100]);
  assert.equal(queue.retries("a"), 5);
  assert.equal(queue.addRateLimited("b"), 10, "another key's failures do not slow this one");
  queue.forget("a");
  assert.equal(queue.retries("a"), 0);
  assert.equal(queue.addRateLimited("a"), 10, "after success the backoff starts again from its base");
  queue.stop();
});

test("a key scheduled later is handed out at its time; an earlier deadline or an add wins over a later one", async () => {
  const queue = new RateLimitingQueue({ baseMs: 10, factor: 2, maxMs: 100 });
  queue.resume();
  const seen: string[] = [];
  queue.addAfter("late", 40);
  queue.addAfter("soon", 500);
  queue.addAfter("soon", 10);
  queue.addAfter("soon", 1_000);
  const started = Date.now();
  await drain(queue, seen, 2);
  assert.deepEqual(seen, ["soon", "late"]);
  assert.ok(Date.now() - started < 400, "the earlier deadline of 'soon' held");
  queue.addAfter("x", 10_000);
  queue.add("x");
  await drain(queue, seen, 1);
  assert.deepEqual(seen, ["soon", "late", "x"], "an add does not wait for a scheduled retry");
  queue.stop();
});

test("a key added while it is processed is handed out again after done, not twice at once", async () => {
  const queue = new RateLimitingQueue({ baseMs: 10, factor: 2, maxMs: 100 });
  queue.resume();
  queue.add("a");
  assert.equal(await queue.next(), "a");
  queue.add("a");
  let idle = false;
  void queue.idle().then(() => (idle = true));
  await tick();
  assert.equal(idle, false, "not idle while a key is processed");
  queue.done();
  assert.equal(await queue.next(), "a");
  queue.done();
  await queue.idle();
  queue.stop();
});
