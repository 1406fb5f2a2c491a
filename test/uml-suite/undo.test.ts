/**
 * Undoing a bond in one state on a full kernel: the bonding driver takes a
 * port down when it leaves the bond, so the plan must bring declared-up
 * ports back up before their addresses and routes go on. Each flow is
 * checked with iproute2, with the gateway probe, and by a re-apply that plans
 * zero operations.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyState } from "../../src/txn/transaction.ts";
import { describe as describeOp } from "../../src/host/kernel/commands.ts";
import { probes, state, twoNicHost } from "../helpers/uml-host.ts";
import type { TestNetns } from "../helpers/netns.ts";
import type { KernelBackend } from "../../src/host/kernel/backend.ts";

const BOND = `
interfaces:
- name: bond0
  type: bond
  state: up
  link-aggregation: {mode: active-backup, options: {miimon: 100}, port: [eth0, eth1]}
  ipv4: {enabled: true, address: [{ip: 192.0.2.10, prefix-length: 24}]}
routes:
  config:
  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: bond0}
`;

const UNDO = `
interfaces:
- {name: bond0, type: bond, state: absent}
- name: eth0
  type: ethernet
  state: up
  ipv4: {enabled: true, address: [{ip: 192.0.2.10, prefix-length: 24}]}
routes:
  config:
  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: eth0}
`;

async function operstate(host: TestNetns, name: string): Promise<{ up: boolean; master?: string }> {
  const [link] = await host.ipJson<{ flags: string[]; master?: string }[]>(["link", "show", name]);
  return { up: link!.flags.includes("UP"), ...(link!.master ? { master: link!.master } : {}) };
}

async function assertReapplyNoop(backend: KernelBackend, yaml: string): Promise<void> {
  const again = await applyState(backend, state(yaml), {});
  assert.deepEqual(again.operations.map(describeOp), [], "a re-apply plans nothing");
}

describe("undoing a bond (full kernel)", () => {
  test("bond0 absent + eth0 with its old address + the default route via eth0, in one state: applied, the gateway answers, re-apply is a no-op", async (t) => {
    const { host, backend } = await twoNicHost(t, "undo");
    await applyState(backend, state(BOND), { probes: probes() });
    const result = await applyState(backend, state(UNDO), { probes: probes() });
    const ops = result.operations.map(describeOp);
    assert.ok(ops.includes("ip link set dev eth0 up"), `eth0 is brought up again after leaving the bond:\n${ops.join("\n")}`);
    assert.ok(ops.indexOf("ip link set dev eth0 up") < ops.findIndex((o) => o.startsWith("ip route")), "before its route");
    assert.ok(result.probes.some((p) => p.ok && p.target.kind === "gateway" && p.target.iface === "eth0"));
    assert.deepEqual(await operstate(host, "eth0"), { up: true });
    assert.match((await host.ip(["-br", "addr", "show", "eth0"])).stdout, /192\.0\.2\.10\/24/);
    assert.match((await host.ip(["route", "show", "default"])).stdout, /default via 192\.0\.2\.1 dev eth0/);
    assert.match((await host.exec("ping", ["-c", "1", "-W", "2", "192.0.2.1"])).stdout, /1 received/);
    await assertReapplyNoop(backend, UNDO);
  });

  test("a port dropped from the bond's port list, declared up with an address, comes back up", async (t) => {
    const { host, backend } = await twoNicHost(t, "undoport");
    await applyState(backend, state(BOND), { probes: probes() });
    const shrink = `${BOND.replace("port: [eth0, eth1]", "port: [eth0]").split("routes:")[0]}- {name: eth1, type: ethernet, state: up, ipv4: {enabled: true, address: [{ip: 198.51.100.10, prefix-length: 24}]}}\nroutes:\n  config:\n  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: bond0}\n`;
    await applyState(backend, state(shrink), { probes: probes() });
    assert.deepEqual(await operstate(host, "eth1"), { up: true });
    assert.deepEqual(await operstate(host, "eth0"), { up: true, master: "bond0" });
    assert.match((await host.ip(["-br", "addr", "show", "eth1"])).stdout, /198\.51\.100\.10\/24/);
    await assertReapplyNoop(backend, shrink);

    // A port the bond releases without being named goes back to the state the host had: here up (the plan restores it).
    const implicit = BOND.replace("port: [eth0, eth1]", "port: [eth1]");
    await applyState(backend, state(implicit), { probes: probes() });
    assert.deepEqual(await operstate(host, "eth0"), { up: true });
    await assertReapplyNoop(backend, implicit);
  });

  test("bridge ports released when their bridge is removed stay up (the bridge, unlike the bonding driver, leaves them as they were)", async (t) => {
    const { host, backend } = await twoNicHost(t, "undobr");
    const bridge = "interfaces:\n- {name: br9, type: linux-bridge, bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}}\n";
    await applyState(backend, state(bridge), {});
    const removal = "interfaces:\n- {name: br9, state: absent}\n- {name: eth1, type: ethernet, state: up, ipv4: {enabled: true, address: [{ip: 198.51.100.10, prefix-length: 24}]}}\n";
    await applyState(backend, state(removal), {});
    assert.deepEqual(await operstate(host, "eth1"), { up: true });
    assert.match((await host.ip(["-br", "addr", "show", "eth1"])).stdout, /198\.51\.100\.10\/24/);
    await assertReapplyNoop(backend, removal);
  });
});
