/**
 * Bonds, VLANs, VRFs and bridge VLAN filtering, applied, verified and rolled
 * back on a full Linux kernel (this file runs inside the User-Mode Linux
 * guest; see test/uml/suite.ts). In-process calls: every process start costs
 * about a second in the guest.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NodenetError } from "../../src/errors.ts";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { bridge } from "../../src/host/kernel/exec.ts";
import { describe as describeOp } from "../../src/host/kernel/commands.ts";
import { applyState } from "../../src/txn/transaction.ts";
import { TestNetns } from "../helpers/netns.ts";
import { probes, state, twoNicHost } from "../helpers/uml-host.ts";

assert.equal(process.env.NODENET_UML, "1", "this suite runs inside User-Mode Linux: npm test runs it there (test/uml/suite.ts)");

const BOND = `
interfaces:
- name: bond0
  type: bond
  state: up
  link-aggregation:
    mode: active-backup
    options: {miimon: 100, updelay: 0}
    port: [eth0, eth1]
  ipv4: {enabled: true, address: [{ip: 192.0.2.10, prefix-length: 24}]}
routes:
  config:
  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: bond0}
`;

describe("bonds (full kernel)", () => {
  test("the classic: eth0 (address, default route) and eth1 become ports of bond0 with the address moved; the gateway answers", async (t) => {
    const { host, backend } = await twoNicHost(t, "bond");
    const result = await applyState(backend, state(BOND), { probes: probes() });
    assert.ok(result.probes.some((p) => p.ok && p.target.kind === "gateway" && p.target.iface === "bond0"));
    const shown = (await backend.read()).state;
    const bond = shown.interfaces!.find((i) => i.name === "bond0")!;
    assert.equal(bond.type, "bond");
    assert.equal(bond["link-aggregation"]!.mode, "active-backup");
    assert.deepEqual(bond["link-aggregation"]!.port, ["eth0", "eth1"]);
    assert.equal(bond["link-aggregation"]!.options!.miimon, 100);
    assert.deepEqual(bond.ipv4!.address, [{ ip: "192.0.2.10", "prefix-length": 24 }]);
    for (const port of ["eth0", "eth1"]) {
      const p = shown.interfaces!.find((i) => i.name === port)!;
      assert.equal(p.controller, "bond0");
      assert.deepEqual(p.ipv4!.address, [], `${port} keeps no address of its own (it would break traffic over the bond)`);
    }
    assert.match((await host.exec("ping", ["-c", "2", "-W", "2", "192.0.2.1"])).stdout, /2 received/);
  });

  test("the classic mistake: the same bond without IP configuration fails its gateway probe and is rolled back", async (t) => {
    const { host, backend } = await twoNicHost(t, "bondbad");
    const before = (await backend.read()).state;
    const bad = state(BOND.replace("  ipv4: {enabled: true, address: [{ip: 192.0.2.10, prefix-length: 24}]}\n", "").replace(/routes:[\s\S]*$/, ""));
    const error = await applyState(backend, bad, { probes: probes(4) }).then(
      () => assert.fail("the change must fail"),
      (e: unknown) => e as NodenetError,
    );
    assert.equal(error.kind, "probe-failed");
    assert.equal(error.restored, true);
    assert.match(error.message, /default gateway 192\.0\.2\.1 via eth0 lost/);
    const after = (await backend.read()).state;
    assert.equal(after.interfaces!.some((i) => i.name === "bond0"), false, "no bond0 remains");
    assert.deepEqual(after.interfaces!.find((i) => i.name === "eth0")!.ipv4!.address, [{ ip: "192.0.2.10", "prefix-length": 24 }]);
    assert.match((await host.ip(["route", "show", "default"])).stdout, /default via 192\.0\.2\.1 dev eth0/);
    assert.deepEqual(after.interfaces, before.interfaces);
  });

  test("a VLAN with a static address on the bond; removing the bond removes the VLAN first", async (t) => {
    const { host, backend } = await twoNicHost(t, "bondvlan");
    const bondWithVlan = `${BOND.split("routes:")[0]}- {name: bond0.100, type: vlan, state: up, vlan: {base-iface: bond0, id: 100}, ipv4: {enabled: true, address: [{ip: 198.51.100.10, prefix-length: 24}]}}\n`;
    await applyState(backend, state(bondWithVlan), {});
    const vlan = (await host.ipJson<{ linkinfo: { info_kind: string; info_data: { id: number } }; link: string }[]>(["-d", "link", "show", "bond0.100"]))[0]!;
    assert.equal(vlan.linkinfo.info_kind, "vlan");
    assert.equal(vlan.linkinfo.info_data.id, 100);
    assert.equal(vlan.link, "bond0");
    assert.match((await host.ip(["-br", "addr", "show", "bond0.100"])).stdout, /198\.51\.100\.10\/24/);

    const removal = await applyState(backend, state("interfaces: [{name: bond0, state: absent}]"), {});
    const deletions = removal.operations.filter((op) => op.op === "link-del").map(describeOp);
    assert.deepEqual(deletions, ["ip link del bond0.100", "ip link del bond0"]);
    const names = (await host.ipJson<{ ifname: string }[]>(["link", "show"])).map((l) => l.ifname);
    assert.equal(names.includes("bond0"), false);
    assert.equal(names.includes("bond0.100"), false);
  });
});

describe("bond options (full kernel)", () => {
  test("802.3ad with LACP options and copy-mac-from; active-backup with ARP monitoring and a primary; both idempotent", async (t) => {
    const host = await TestNetns.create("bondopts", t);
    await host.batch(["link add e1 type veth peer name e1p", "link add e2 type veth peer name e2p", "link add e3 type veth peer name e3p", "link add e4 type veth peer name e4p"]);
    const backend = new KernelBackend({ netns: host.name, stateDir: `/run/nodenet/netns-${host.name}` });
    const e2mac = (await host.ipJson<{ address: string }[]>(["link", "show", "e2"]))[0]!.address.toUpperCase();
    const desired = state(`
interfaces:
- name: bond1
  type: bond
  state: up
  copy-mac-from: e2
  link-aggregation:
    mode: 802.3ad
    port: [e1, e2]
    options: {miimon: 100, updelay: 200, downdelay: 200, lacp_rate: fast, xmit_hash_policy: layer3+4, ad_select: bandwidth}
- name: bond2
  type: bond
  state: up
  link-aggregation:
    mode: 1
    slaves: [e3, e4]
    options: {miimon: 0, arp_interval: 1000, arp_ip_target: "192.0.2.1,192.0.2.2", arp_validate: all, primary: e3}
`);
    await applyState(backend, desired, {});
    const shown = (await backend.read()).state.interfaces!;
    const bond1 = shown.find((i) => i.name === "bond1")!;
    const o1 = bond1["link-aggregation"]!.options!;
    assert.deepEqual([bond1["link-aggregation"]!.mode, o1.miimon, o1.updelay, o1.downdelay, o1.lacp_rate, o1.xmit_hash_policy, o1.ad_select], ["802.3ad", 100, 200, 200, "fast", "layer3+4", "bandwidth"]);
    assert.equal(bond1["mac-address"], e2mac, "copy-mac-from");
    const bond2 = shown.find((i) => i.name === "bond2")!;
    const o2 = bond2["link-aggregation"]!.options!;
    assert.deepEqual([bond2["link-aggregation"]!.mode, o2.arp_interval, o2.arp_ip_target, o2.arp_validate, o2.primary], ["active-backup", 1000, ["192.0.2.1", "192.0.2.2"], "all", "e3"]);
    assert.deepEqual(bond2["link-aggregation"]!.port, ["e3", "e4"]);
    assert.equal((await applyState(backend, desired, {})).changed, false, "a second apply changes nothing");
  });
});

describe("VRFs (full kernel)", () => {
  test("a VRF with a port and a route in its table; a failed VRF change is rolled back and the table restored", async (t) => {
    const host = await TestNetns.create("vrf", t);
    const backend = new KernelBackend({ netns: host.name, stateDir: `/run/nodenet/netns-${host.name}` });
    await applyState(
      backend,
      state(`
interfaces:
- {name: vrf0, type: vrf, state: up, vrf: {route-table-id: 100, port: [dummy0]}}
- {name: dummy0, type: dummy, state: up, ipv4: {enabled: true, address: [{ip: 203.0.113.1, prefix-length: 24}]}}
routes:
  config:
  - {destination: 198.51.100.0/24, next-hop-address: 203.0.113.254, next-hop-interface: dummy0, table-id: 100}
`),
      {},
    );
    const table = async () => (await host.ip(["route", "show", "table", "100"])).stdout;
    assert.match(await table(), /198\.51\.100\.0\/24 via 203\.0\.113\.254 dev dummy0 proto static/);
    assert.equal((await host.ipJson<{ master?: string }[]>(["link", "show", "dummy0"]))[0]!.master, "vrf0");
    const tableBefore = await table();

    // The change removes the route first, then fails in the kernel: validation lets a
    // multicast MAC address through (nmstate does too), the kernel refuses it.
    const error = await applyState(
      backend,
      state(`
interfaces: [{name: vx, type: veth, state: up, mac-address: "01:00:5E:00:00:01", veth: {peer: vxp}}]
routes: {config: [{destination: 198.51.100.0/24, next-hop-interface: dummy0, table-id: 100, state: absent}]}
`),
      {},
    ).then(
      () => assert.fail("the change must fail"),
      (e: unknown) => e as NodenetError,
    );
    assert.equal(error.kind, "backend-failed");
    assert.equal(error.restored, true);
    assert.equal(await table(), tableBefore, "the VRF's table is as before");
  });
});

describe("bridge VLAN filtering (full kernel)", () => {
  test("a trunk port and an access port, as `bridge -j vlan show` reports them", async (t) => {
    const host = await TestNetns.create("brvlan", t);
    const backend = new KernelBackend({ netns: host.name, stateDir: `/run/nodenet/netns-${host.name}` });
    const desired = state(`
interfaces:
- {name: p1, type: veth, state: up, veth: {peer: p1b}}
- {name: p2, type: veth, state: up, veth: {peer: p2b}}
- name: br0
  type: linux-bridge
  state: up
  bridge:
    options: {stp: {enabled: false}}
    port:
    - {name: p1, vlan: {mode: access, tag: 10}}
    - name: p2
      vlan:
        mode: trunk
        tag: 100
        enable-native: true
        trunk-tags: [{id: 20}, {id-range: {min: 30, max: 35}}]
`);
    assert.ok((await applyState(backend, desired, {})).changed);
    const { stdout } = await bridge(host.name, ["-compressvlans", "-json", "vlan", "show"]);
    const table = Object.fromEntries((JSON.parse(stdout) as { ifname: string; vlans: { vlan: number; vlanEnd?: number; flags?: string[] }[] }[]).map((e) => [e.ifname, e.vlans]));
    assert.deepEqual(table.p1, [{ vlan: 10, flags: ["PVID", "Egress Untagged"] }]);
    assert.deepEqual(
      table.p2!.map((v) => [v.vlan, v.vlanEnd ?? v.vlan, (v.flags ?? []).join(",")]),
      [
        [20, 20, ""],
        [30, 35, ""],
        [100, 100, "PVID,Egress Untagged"],
      ],
    );
    assert.equal((await applyState(backend, desired, {})).changed, false, "the VLAN table reads back as declared: a second apply changes nothing");
  });
});
