import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkStateSchema, type Interface } from "../../../state/schema/index.ts";
import { loadRawFixture } from "./fixtures.ts";
import { InconsistentDumpError } from "./ipjson.ts";
import { KernelReadError, withConsistentRetry } from "./index.ts";
import { keyOrderIssues } from "./schema-order.ts";
import { assembleSnapshot } from "./snapshot.ts";

const find = (interfaces: Interface[] | undefined, name: string) => {
  const found = interfaces?.find((i) => i.name === name);
  assert.ok(found, `interface ${name} is reported`);
  return found;
};

/** Everything of an interface but the per-machine values (MAC, MTU bounds) and the IP sections. */
function shape(iface: Interface) {
  const { "mac-address": _mac, mtu: _mtu, "min-mtu": _min, "max-mtu": _max, ipv4: _v4, ipv6: _v6, ...rest } = iface;
  return rest;
}

describe("assembleSnapshot on links captured in User-Mode Linux (bond, VLAN, dummy, VRF, VLAN filtering)", () => {
  const snapshot = assembleSnapshot(loadRawFixture("uml-kinds"));
  const interfaces = snapshot.state.interfaces;

  it("reports an 802.3ad bond with kernel-named options and sorted ports", () => {
    assert.deepEqual(shape(find(interfaces, "bond0")), {
      name: "bond0",
      type: "bond",
      state: "up",
      "accept-all-mac-addresses": false,
      "link-aggregation": {
        mode: "802.3ad",
        port: ["eth0", "eth1"],
        options: {
          miimon: 100,
          updelay: 200,
          downdelay: 200,
          peer_notif_delay: 0,
          use_carrier: true,
          arp_interval: 0,
          arp_validate: "none",
          arp_all_targets: "any",
          arp_missed_max: 2,
          primary_reselect: "always",
          fail_over_mac: "none",
          xmit_hash_policy: "layer3+4",
          lacp_rate: "fast",
          lacp_active: "on",
          ad_select: "bandwidth",
          ad_actor_sys_prio: 65535,
          ad_actor_system: "00:00:00:00:00:00",
          ad_user_port_key: 0,
          min_links: 1,
          all_slaves_active: false,
          num_grat_arp: 1,
          num_unsol_na: 1,
          packets_per_slave: 1,
          lp_interval: 1,
          resend_igmp: 1,
          tlb_dynamic_lb: true,
        },
        "ports-config": [
          { name: "eth0", "queue-id": 0, priority: 0 },
          { name: "eth1", "queue-id": 0, priority: 0 },
        ],
      },
    });
    assert.equal(find(interfaces, "eth0").controller, "bond0");
    assert.deepEqual(find(interfaces, "bond0").ipv4?.address, [{ ip: "192.0.2.10", "prefix-length": 24 }]);
  });

  it("reports an active-backup bond's ARP targets and primary", () => {
    const options = find(interfaces, "bond1")["link-aggregation"]?.options;
    assert.equal(find(interfaces, "bond1")["link-aggregation"]?.mode, "active-backup");
    assert.deepEqual(options?.arp_ip_target, ["192.0.2.1", "192.0.2.2"]);
    assert.equal(options?.arp_interval, 1000);
    assert.equal(options?.arp_validate, "all");
    assert.equal(options?.primary, "eth2");
    assert.equal(options?.ad_actor_system, undefined, "802.3ad actor settings only exist in 802.3ad mode");
  });

  it("reports VLANs with base, id, protocol and flags", () => {
    assert.deepEqual(find(interfaces, "bond0.100").vlan, { "base-iface": "bond0", id: 100, protocol: "802.1q", "reorder-headers": true, "loose-binding": false });
    assert.deepEqual(find(interfaces, "eth2p.200").vlan, { "base-iface": "eth2p", id: 200, protocol: "802.1ad", "reorder-headers": false, "loose-binding": true });
  });

  it("reports a VRF with its table and sorted ports, and dummies as its ports", () => {
    assert.deepEqual(find(interfaces, "vrf0").vrf, { port: ["dummy0", "dummy1"], "route-table-id": 1001 });
    assert.deepEqual(shape(find(interfaces, "dummy1")), { name: "dummy1", type: "dummy", state: "down", controller: "vrf0", "accept-all-mac-addresses": false });
  });

  it("reports bridge port VLANs from `bridge vlan show` when the bridge filters VLANs", () => {
    const bridge = find(interfaces, "br0").bridge;
    assert.equal(bridge?.options?.["vlan-protocol"], "802.1q");
    assert.equal(bridge?.options?.["vlan-default-pvid"], 1);
    assert.deepEqual(bridge?.port?.map((p) => [p.name, p.vlan]), [
      ["p1", { mode: "access", tag: 10, "trunk-tags": [] }],
      ["p2", { mode: "trunk", "enable-native": false, "trunk-tags": [{ "id-range": { min: 20, max: 30 } }, { id: 40 }] }],
      ["p3", { mode: "trunk", tag: 100, "enable-native": true, "trunk-tags": [{ "id-range": { min: 200, max: 210 } }, { id: 300 }] }],
    ]);
  });

  it("reports routes of a VRF's table", () => {
    assert.deepEqual(snapshot.state.routes?.config, [{ destination: "203.0.113.0/24", "next-hop-interface": "dummy0", metric: 0, "table-id": 1001 }]);
  });
});

describe("assembleSnapshot on links captured on the host kernel", () => {
  const snapshot = assembleSnapshot(loadRawFixture("host-mixed"));
  const interfaces = snapshot.state.interfaces;

  it("sorts interfaces by name", () => {
    const names = interfaces!.map((i) => i.name);
    assert.deepEqual(names, [...names].sort());
  });

  it("reports a bridge with its options in seconds and its ports' STP settings", () => {
    const br0 = find(interfaces, "br0");
    assert.equal(br0.description, "hello");
    assert.deepEqual(br0.bridge?.options?.stp, { enabled: true, "forward-delay": 10, "hello-time": 3, "max-age": 15, priority: 4096 });
    assert.equal(br0.bridge?.options?.["mac-ageing-time"], 120);
    assert.equal(br0.bridge?.options?.["group-forward-mask"], 8);
    assert.equal(br0.bridge?.options?.["multicast-snooping"], false);
    assert.deepEqual(br0.bridge?.port, [
      { name: "v0", "stp-hairpin-mode": false, "stp-path-cost": 2, "stp-priority": 32 },
      { name: "v2", "stp-hairpin-mode": false, "stp-path-cost": 2, "stp-priority": 32 },
    ]);
  });

  it("reports veths with a local peer as veth and one with a remote peer as ethernet", () => {
    assert.equal(find(interfaces, "v1").type, "veth");
    assert.deepEqual(find(interfaces, "v1").veth, { peer: "v0" });
    assert.equal(find(interfaces, "ext0").type, "ethernet");
    assert.equal(find(interfaces, "ext0").veth, undefined);
  });

  it("reports vxlan and macvlan sections", () => {
    assert.deepEqual(find(interfaces, "vx0").vxlan, { id: 42, "base-iface": "v1", remote: "192.0.2.99", local: "192.0.2.1", "destination-port": 4789, learning: false });
    assert.deepEqual(find(interfaces, "vx6").vxlan, { id: 7, remote: "2001:db8::99", local: "2001:db8::1", "destination-port": 8472, learning: true });
    assert.deepEqual(find(interfaces, "vxg").vxlan?.remote, "239.1.1.1");
    assert.deepEqual(find(interfaces, "mv0")["mac-vlan"], { "base-iface": "v3", mode: "bridge", promiscuous: true });
    assert.deepEqual(find(interfaces, "mv1")["mac-vlan"], { "base-iface": "v1", mode: "passthru", promiscuous: false });
  });

  it("reports loopback and PROMISC", () => {
    assert.equal(find(interfaces, "lo").type, "loopback");
    assert.deepEqual(find(interfaces, "lo").ipv6?.address, [{ ip: "::1", "prefix-length": 128 }]);
    assert.equal(find(interfaces, "p1b")["accept-all-mac-addresses"], true);
    assert.equal(find(interfaces, "v0")["accept-all-mac-addresses"], false, "a bridge port's promiscuity is the bridge's, not a setting");
  });

  it("reports routes, with cwnd only where locked", () => {
    assert.deepEqual(snapshot.state.routes?.running, [
      { destination: "203.0.113.0/25", "next-hop-interface": "ext0", "next-hop-address": "198.51.100.254", metric: 0, "table-id": 100 },
      { destination: "198.51.100.0/26", metric: 7, "table-id": 200, "route-type": "prohibit" },
      { destination: "2001:db8:3::/64", metric: 1024, "table-id": 200, "route-type": "unreachable" },
      { destination: "192.0.2.128/25", "next-hop-interface": "p2b", metric: 0, "table-id": 254, source: "192.0.2.77" },
      { destination: "192.0.2.200/32", "next-hop-interface": "p2b", metric: 5, "table-id": 254, cwnd: 33 },
      { destination: "198.51.100.128/25", metric: 0, "table-id": 254, "route-type": "blackhole" },
      { destination: "203.0.113.0/24", "next-hop-interface": "ext0", "next-hop-address": "198.51.100.254", metric: 50, "table-id": 254 },
      {
        destination: "2001:db8:2::/64",
        "next-hop-interface": "p1b",
        "next-hop-address": "2001:db8:1::1",
        metric: 1024,
        "table-id": 254,
        cwnd: 10,
        initcwnd: 20,
        mtu: 1400,
        onlink: true,
      },
      { destination: "::/0", metric: 1024, "table-id": 300, "route-type": "blackhole" },
    ]);
  });

  it("reports route rules of both families without the defaults or unrepresentable ones", () => {
    assert.deepEqual(snapshot.state["route-rules"]?.config, [
      { priority: 600, "route-table": 200, fwmark: 16, fwmask: 255, family: "ipv4", iif: "p1b", oif: "p2b" },
      { "ip-to": "198.51.100.0/24", priority: 700, family: "ipv4", action: "prohibit" },
      { priority: 800, "route-table": 254, family: "ipv4", "suppress-prefix-length": 0 },
      { "ip-from": "192.0.2.0/24", priority: 1000, "route-table": 100, family: "ipv4" },
      { "ip-from": "2001:db8::/32", "ip-to": "2001:db8:5::/48", priority: 500, "route-table": 200, family: "ipv6" },
      { priority: 501, family: "ipv6", action: "blackhole" },
    ]);
  });

  it("reports the resolver", () => {
    assert.deepEqual(snapshot.state["dns-resolver"], {
      running: { server: ["192.0.2.53", "2001:db8::53"], search: ["example.com", "example.org"], options: ["ndots:2", "timeout:1"] },
    });
  });

  it("maps names to ifindex", () => {
    assert.equal(snapshot.ifindex.get("lo"), 1);
  });
});

describe("output form", () => {
  for (const name of ["host-mixed", "uml-kinds"] as const) {
    it(`lists every key in schema order (${name})`, () => {
      const { state } = assembleSnapshot(loadRawFixture(name));
      assert.deepEqual(keyOrderIssues(state, NetworkStateSchema), []);
    });

    it(`does not depend on the order the kernel listed things in (${name})`, () => {
      const raw = loadRawFixture(name);
      const shuffled = { ...raw, links: [...raw.links].reverse(), routes: { v4: [...raw.routes.v4].reverse(), v6: [...raw.routes.v6].reverse() } };
      assert.deepEqual(assembleSnapshot(shuffled).state, assembleSnapshot(raw).state);
    });
  }

  it("validates against the schema, apart from the MTUs of lo and vrf (above 65535, which the schema does not allow)", () => {
    for (const name of ["host-mixed", "uml-kinds"] as const) {
      const { state } = assembleSnapshot(loadRawFixture(name));
      const result = NetworkStateSchema.safeParse(state);
      const issues = result.success ? [] : result.error.issues.filter((i) => !(["mtu", "max-mtu"].includes(String(i.path.at(-1))) && ["lo", "vrf0"].includes(state.interfaces![i.path[1] as number]!.name)));
      assert.deepEqual(issues, []);
    }
  });
});

describe("withConsistentRetry", () => {
  it("reads again while dumps are interrupted", async () => {
    let calls = 0;
    const result = await withConsistentRetry("ns", async () => {
      calls++;
      if (calls < 3) throw new InconsistentDumpError("ip");
      return "state";
    }, { retryDelayMs: 1 });
    assert.deepEqual(result, { value: "state", attempts: 3 });
  });

  it("gives up after the bounded number of attempts with a clear error", async () => {
    let calls = 0;
    await assert.rejects(
      withConsistentRetry("node1", async () => {
        calls++;
        throw new InconsistentDumpError("ip");
      }, { attempts: 4, retryDelayMs: 1 }),
      (error: unknown) => error instanceof KernelReadError && error.attempts === 4 && /namespace node1.*changed during every one of 4 reads/.test(error.message),
    );
    assert.equal(calls, 4);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    await assert.rejects(withConsistentRetry(undefined, async () => {
      calls++;
      throw new Error("ip: not found");
    }), /not found/);
    assert.equal(calls, 1);
  });
});
