/**
 * On a full kernel (8021q, bridge VLAN filtering): a veth peer created as a
 * bridge port with VLAN settings in the same state, and kubernetes-nmstate's
 * big one — 500 VLANs with a bridge on each, in one apply, verified, a no-op
 * when applied again, and removed back to a byte-identical `show`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { bridge } from "../../src/host/kernel/exec.ts";
import { describe as describeOp } from "../../src/host/kernel/commands.ts";
import { applyState } from "../../src/txn/transaction.ts";
import { toYaml } from "../../src/cli/io.ts";
import { TestNetns } from "../helpers/netns.ts";
import { state } from "../helpers/uml-host.ts";

const backendFor = (ns: TestNetns) => new KernelBackend({ netns: ns.name, stateDir: `/run/nodenet/netns-${ns.name}` });

describe("VLANs and bridges (full kernel)", () => {
  test("a new veth whose peer is a VLAN-filtering bridge port: planned with its master and VLANs, applied, re-applied as a no-op", async (t) => {
    const ns = await TestNetns.create("vethvlan", t);
    const backend = backendFor(ns);
    const yaml = `
interfaces:
- {name: q0, type: veth, veth: {peer: p0}}
- name: b0
  type: linux-bridge
  bridge:
    options: {stp: {enabled: false}}
    port:
    - {name: p0, vlan: {mode: trunk, trunk-tags: [{id: 10}, {id-range: {min: 20, max: 22}}]}}
`;
    const result = await applyState(backend, state(yaml), {});
    const ops = result.operations.map(describeOp);
    assert.ok(ops.includes("ip link set dev p0 master b0"), ops.join("\n"));
    const [link] = await ns.ipJson<{ master?: string }[]>(["link", "show", "p0"]);
    assert.equal(link!.master, "b0");
    const vlans = (await bridge(ns.name, ["vlan", "show", "dev", "p0"])).stdout;
    for (const vid of ["10", "20", "21", "22"]) assert.match(vlans, new RegExp(`\\b${vid}\\b`));
    const again = await applyState(backend, state(yaml), {});
    assert.deepEqual(again.operations.map(describeOp), []);
  });

  test("500 VLANs with a bridge on each, in one apply: applied and verified, a no-op again, removed to the same show", async (t) => {
    const ns = await TestNetns.create("vlan500", t);
    await ns.batch(["link add eth0 type veth peer name eth0p", "link set eth0 up", "link set eth0p up"]);
    const backend = backendFor(ns);
    const before = toYaml((await backend.read()).state);
    const ids = Array.from({ length: 500 }, (_, i) => i + 2);
    const lines = ["interfaces:"];
    for (const id of ids) {
      lines.push(`- {name: eth0.${id}, type: vlan, vlan: {base-iface: eth0, id: ${id}}}`);
      lines.push(`- {name: br${id}, type: linux-bridge, bridge: {options: {stp: {enabled: false}}, port: [{name: eth0.${id}}]}}`);
    }
    const yaml = lines.join("\n") + "\n";
    const result = await applyState(backend, state(yaml), {});
    assert.equal(result.operations.filter((op) => op.op === "link-add").length, 1000);
    const links = await ns.ipJson<{ ifname: string; master?: string }[]>(["link", "show"]);
    for (const id of ids) assert.equal(links.find((l) => l.ifname === `eth0.${id}`)?.master, `br${id}`);
    const again = await applyState(backend, state(yaml), {});
    assert.deepEqual(again.operations.map(describeOp), []);
    const removal = ["interfaces:", ...ids.flatMap((id) => [`- {name: br${id}, state: absent}`, `- {name: eth0.${id}, state: absent}`])].join("\n") + "\n";
    await applyState(backend, state(removal), {});
    assert.equal(toYaml((await backend.read()).state), before);
  });
});
