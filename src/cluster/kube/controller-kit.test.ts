import { test } from "node:test";
import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import { NodenetError } from "../../errors.ts";
import { silentLogger } from "../../log/logger.ts";
import { ControllerKit, type Request } from "./controller-kit.ts";

const retry = { baseMs: 10, factor: 2, maxMs: 40 };

async function kitWith(reconcile: (request: Request) => Promise<{ requeueAfterMs?: number }>): Promise<ControllerKit> {
  const kit = new ControllerKit({ config: new KubeConfig(), log: silentLogger, retry }).build(reconcile);
  await kit.start();
  kit.run();
  return kit;
}

const until = async (what: string, check: () => boolean) => {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test("a retryable failure is retried with the key's backoff and the request counts the retries; success forgets them", async () => {
  const requests: Request[] = [];
  const kit = await kitWith(async (request) => {
    requests.push(request);
    if (requests.length <= 2) throw new NodenetError("backend-failed", "RTNETLINK answers: Device or resource busy");
    return {};
  });
  kit.enqueue("p");
  await until("the third reconcile", () => requests.length === 3);
  assert.deepEqual(requests.map((r) => r.retries), [0, 1, 2]);
  assert.equal(kit.queue.retries("p"), 0, "success forgets the failures");
  await kit.stop();
});

test("API and network errors are retried; invalid input, unsupported and a failed probe are not", async () => {
  for (const [error, retried] of [
    [new Error("connect ECONNREFUSED 192.0.2.2:6443"), true],
    [new NodenetError("verification-failed", "mtu is 1400, not 1500"), true],
    [new NodenetError("invalid-input", "interfaces[0].mtu: 70000 is out of range"), false],
    [new NodenetError("unsupported", "interfaces[0].type: ovs-bridge"), false],
    [new NodenetError("probe-failed", "default gateway 192.0.2.1 unreachable"), false],
  ] as const) {
    let calls = 0;
    const kit = await kitWith(async () => {
      calls++;
      throw error;
    });
    kit.enqueue("p");
    if (retried) await until(`a retry after "${error.message}"`, () => calls >= 2);
    else {
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(calls, 1, `"${error.message}" is not retried`);
      assert.equal(kit.queue.retries("p"), 0);
    }
    await kit.stop();
  }
});

test("requeueAfterMs reconciles the key again later; one key's failures do not delay another", async () => {
  const seen: string[] = [];
  let polled = 0;
  const kit = await kitWith(async ({ key }) => {
    seen.push(key);
    if (key === "bad") throw new Error("503 Service Unavailable");
    if (key === "poll" && ++polled < 3) return { requeueAfterMs: 5 };
    return {};
  });
  kit.enqueue("bad");
  kit.enqueue("poll");
  kit.enqueue("good");
  await until("three polls", () => polled === 3);
  assert.ok(seen.indexOf("good") < seen.lastIndexOf("bad") || seen.filter((k) => k === "bad").length === 1, "good is not queued behind bad's retries");
  assert.ok(kit.queue.retries("bad") >= 1);
  await kit.stop();
});
