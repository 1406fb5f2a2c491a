/**
 * The kernel reader on link kinds this host's kernel lacks (bond, VLAN,
 * dummy, VRF, bridge VLAN filtering): test/helpers/uml-show-guest.ts builds
 * and reads them; this file runs inside the User-Mode Linux guest.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyOrderIssues } from "../../src/host/kernel/read/schema-order.ts";
import { NetworkStateSchema, type Interface } from "../../src/state/schema/index.ts";
import { captureKinds, type GuestOutput } from "../helpers/uml-show-guest.ts";

async function capture(): Promise<GuestOutput> {
  assert.equal(process.env.NODENET_UML, "1", "this suite runs inside User-Mode Linux: npm test runs it there (test/uml/suite.ts)");
  return captureKinds();
}

const find = (interfaces: Interface[] | undefined, name: string): Interface => {
  const found = interfaces?.find((i) => i.name === name);
  assert.ok(found, `${name} is reported`);
  return found;
};

describe("readKernelState on bonds, VLANs, dummies, VRFs and VLAN-filtering bridges (User-Mode Linux)", () => {
  it("reports what the guest set up", async (t) => {
    const out = await capture();
    const interfaces = out.state.interfaces;
    t.diagnostic(`read in the guest: ${out.spawns} processes, ${out.attempts} attempt(s)`);
    assert.ok(out.spawns <= 4, `${out.spawns} processes`);

    const bond0 = find(interfaces, "bond0");
    assert.equal(bond0.type, "bond");
    assert.equal(bond0.state, "up");
    assert.equal(bond0["link-aggregation"]?.mode, "802.3ad");
    assert.deepEqual(bond0["link-aggregation"]?.port, ["eth0", "eth1"]);
    const o0 = bond0["link-aggregation"]?.options;
    assert.deepEqual(
      [o0?.miimon, o0?.updelay, o0?.downdelay, o0?.lacp_rate, o0?.xmit_hash_policy, o0?.ad_select, o0?.min_links, o0?.arp_validate],
      [100, 200, 200, "fast", "layer3+4", "bandwidth", 1, "none"],
    );
    assert.deepEqual(bond0.ipv4?.address, [{ ip: "192.0.2.10", "prefix-length": 24 }]);
    assert.equal(find(interfaces, "eth1").controller, "bond0");

    const bond1 = find(interfaces, "bond1")["link-aggregation"];
    assert.equal(bond1?.mode, "active-backup");
    assert.deepEqual(bond1?.port, ["eth2", "eth3"]);
    assert.deepEqual([bond1?.options?.arp_interval, bond1?.options?.arp_ip_target, bond1?.options?.arp_validate, bond1?.options?.primary], [1000, ["192.0.2.1", "192.0.2.2"], "all", "eth2"]);

    assert.equal(find(interfaces, "bond0.100").type, "vlan");
    assert.deepEqual(find(interfaces, "bond0.100").vlan, { "base-iface": "bond0", id: 100, protocol: "802.1q", "reorder-headers": true, "loose-binding": false });
    assert.deepEqual(find(interfaces, "eth2p.200").vlan, { "base-iface": "eth2p", id: 200, protocol: "802.1ad", "reorder-headers": false, "loose-binding": true });

    assert.equal(find(interfaces, "vrf0").type, "vrf");
    assert.deepEqual(find(interfaces, "vrf0").vrf, { port: ["dummy0", "dummy1"], "route-table-id": 1001 });
    assert.equal(find(interfaces, "dummy0").type, "dummy");
    assert.equal(find(interfaces, "dummy0").controller, "vrf0");
    assert.deepEqual(find(interfaces, "dummy0").ipv4?.address, [{ ip: "198.51.100.9", "prefix-length": 24 }]);
    assert.deepEqual(out.state.routes?.config, [{ destination: "203.0.113.0/24", "next-hop-interface": "dummy0", metric: 0, "table-id": 1001 }]);

    const br0 = find(interfaces, "br0").bridge;
    assert.equal(br0?.options?.["vlan-protocol"], "802.1q");
    assert.deepEqual(br0?.port?.map((p) => [p.name, p.vlan]), [
      ["p1", { mode: "access", tag: 10, "trunk-tags": [] }],
      ["p2", { mode: "trunk", "enable-native": false, "trunk-tags": [{ "id-range": { min: 20, max: 30 } }, { id: 40 }] }],
      ["p3", { mode: "trunk", tag: 100, "enable-native": true, "trunk-tags": [{ "id-range": { min: 200, max: 210 } }, { id: 300 }] }],
    ]);

    assert.deepEqual(keyOrderIssues(out.state, NetworkStateSchema), []);
  });
});
