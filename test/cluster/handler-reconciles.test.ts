/**
 * The handler's event filter against a real API server: a policy status
 * write (what the controller does on every verdict change, and other nodes on
 * every slot change) does not reconcile the policy on a node that is done
 * with it; a new generation does, once. The handler runs on the memory
 * backend (injected), so only the reconcile decisions are under test here;
 * the lab-node suites run it on the kernel.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Handler } from "../../src/cluster/handler/handler.ts";
import { enactmentClient, policyClient } from "../../src/cluster/kube/resources.ts";
import { patchStatus } from "../../src/cluster/kube/status.ts";
import { MemoryBackend } from "../../src/host/memory/backend.ts";
import { eventually, suiteKube, unique } from "./helpers.ts";

describe("handler reconciles", () => {
  test("ten policy status writes reconcile nothing on a node where the policy holds; a new generation reconciles it once", { timeout: 120_000 }, async () => {
    const kube = suiteKube();
    const node = unique("rec-node");
    const name = unique("rec-policy");
    const dir = mkdtempSync(join(tmpdir(), "nodenet-reconciles-"));
    const policies = policyClient(kube);
    const enactments = enactmentClient(kube);
    await kube.core.createNode({ body: { metadata: { name: node, labels: { "kubernetes.io/hostname": node } } } });
    const backend = new MemoryBackend({ interfaces: [{ name: "eth1", type: "ethernet", state: "up", mtu: 1500 }] }, { stateDir: join(dir, "host") });
    const handler = new Handler({ node, kube, backend, watchHost: () => ({ stop: () => undefined }), stateDir: dir, namespace: "default", probeTimeoutMs: 5_000, version: "test" });
    after(async () => {
      await handler.stop();
      await policies.delete(name).catch(() => undefined);
      await enactments.delete(`${node}.${name}`).catch(() => undefined);
      await kube.core.deleteNode({ name: node }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });
    await policies.create({ metadata: { name }, spec: { nodeSelector: { "kubernetes.io/hostname": node }, desiredState: { interfaces: [{ name: "eth1", type: "ethernet", mtu: 1400 }] } } });
    await handler.start();
    const availableAt = async (generation: number) => {
      const e = await enactments.get(`${node}.${name}`);
      return e?.status?.policyGeneration === generation && e.status.conditions?.some((c) => c.type === "Available" && c.status === "True") ? e : undefined;
    };
    await eventually("the enactment Available", 60_000, () => availableAt(1));
    assert.equal((await backend.read()).state.interfaces?.find((i) => i.name === "eth1")?.mtu, 1400);
    await handler.idle();
    const before = handler.kit.reconciles;

    for (let i = 0; i < 10; i++) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      await patchStatus(policies, name, { conditions: [{ type: "Available", status: "True", reason: "SuccessfullyConfigured", message: `${i + 1}/1 nodes successfully configured`, lastTransitionTime: now, lastHeartbeatTime: now }] });
    }
    // A spec change after the status writes: the watch delivers events in order, so once it is reconciled every status write was seen.
    await policies.mergePatch(name, { spec: { maxUnavailable: 2 } });
    await eventually("generation 2 Available", 60_000, () => availableAt(2));
    await handler.idle();
    const reconciles = handler.kit.reconciles - before;
    process.stdout.write(`# reconciles after 10 status writes and one spec change: ${reconciles}\n`);
    assert.equal(reconciles, 1, "the status writes reconciled nothing; the new generation reconciled the policy once");
  });
});
