/**
 * A 10-node rollout: how many writes the policy's status costs. The
 * controller coalesces and writes only when the conditions change; handlers
 * write only to take and give back rollout slots. Printed, and bounded in
 * proportion to the nodes (state changes), not to events or reconciles.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Informer, resourceSource } from "../../src/cluster/kube/informer.ts";
import { eventually, nodeLab } from "./lab.ts";

const NODES = 10;
const lab = nodeLab("nscale", NODES);

describe(`a ${NODES}-node rollout`, () => {
  test("policy status writes stay proportional to state changes", { timeout: 300_000 }, async (t) => {
    const l = lab();
    let conditionWrites = 0;
    let slotWrites = 0;
    const messages: string[] = [];
    const informer = new Informer(l.kube.config, resourceSource(l.policies, { fieldSelector: "metadata.name=scale" }), (e) => {
      if (e.type !== "updated") return;
      const before = JSON.stringify(e.old.status?.conditions ?? []);
      const after = JSON.stringify(e.object.status?.conditions ?? []);
      if (before !== after) {
        conditionWrites++;
        messages.push(e.object.status?.conditions?.find((c) => c.status === "True")?.message ?? "");
      }
      if (JSON.stringify(e.old.status?.rolloutSlots ?? []) !== JSON.stringify(e.object.status?.rolloutSlots ?? [])) slotWrites++;
    });
    await informer.start();
    t.after(() => informer.stop());
    const started = Date.now();
    const r = await l.kubectl(["apply", "-f", "-"], `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: scale}
spec:
  maxUnavailable: 3
  desiredState:
    interfaces:
    - {name: br-scale, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}}
`);
    assert.equal(r.code, 0, r.stderr);
    const done = await eventually("the 10-node rollout to finish", 240_000, async () => {
      const c = (await l.policies.get("scale"))?.status?.conditions?.find((x) => x.status === "True");
      if (c?.type === "Degraded") throw new Error(c.message);
      return c?.type === "Available" ? c : undefined;
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`rollout over ${NODES} nodes (maxUnavailable 3) took ${seconds.toFixed(1)} s`);
    t.diagnostic(`policy status writes: ${conditionWrites} by the controller (conditions), ${slotWrites} by handlers (rollout slots)`);
    t.diagnostic(`messages written: ${messages.join(" | ")}`);
    assert.equal(done.message, `${NODES}/${NODES} nodes successfully configured`);
    assert.ok(conditionWrites <= 2 * NODES + 2, `controller writes (${conditionWrites}) bounded by state changes`);
    assert.ok(slotWrites <= 2 * NODES, `slot writes (${slotWrites}): one to take and one to give back per node at most`);
  });
});
