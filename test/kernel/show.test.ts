/**
 * The kernel reader against a real kernel: a namespace set up with `ip -batch`
 * (veth pairs, a bridge with non-default STP options, vxlan, macvlan,
 * addresses, static/multipath/blackhole routes in two tables, rules, a
 * per-namespace resolv.conf), read back and compared field by field.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { describe, it, type TestContext } from "node:test";
import { spawnCounter } from "../../src/host/kernel/exec.ts";
import { readKernelSnapshot, readKernelState } from "../../src/host/kernel/read/index.ts";
import { keyOrderIssues } from "../../src/host/kernel/read/schema-order.ts";
import { NetworkStateSchema, type Interface } from "../../src/state/schema/index.ts";
import { cable, TestNetns } from "../helpers/netns.ts";

const RESOLV_CONF = "# test\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.test\noptions ndots:2\n";

/** Writes /etc/netns/NS/resolv.conf, removed after the test (also when it fails). */
function netnsResolvConf(t: TestContext, netns: string, text: string): void {
  const hadRoot = existsSync("/etc/netns");
  const dir = `/etc/netns/${netns}`;
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    if (!hadRoot) {
      try {
        rmdirSync("/etc/netns"); // only when empty: another test may be using it
      } catch {
        // not empty, or already gone
      }
    }
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/resolv.conf`, text);
}

async function macs(ns: TestNetns): Promise<Map<string, string>> {
  const links = await ns.ipJson<{ ifname: string; address: string }[]>(["link", "show"]);
  return new Map(links.map((l) => [l.ifname, l.address.toUpperCase()]));
}

const find = (interfaces: Interface[] | undefined, name: string): Interface => {
  const found = interfaces?.find((i) => i.name === name);
  assert.ok(found, `${name} is reported`);
  return found;
};

const veth = { "min-mtu": 68, "max-mtu": 65535 };
const ipv6Default = { autoconf: true, "accept-ra": 1, "addr-gen-mode": "eui64" as const };

describe("readKernelState in a namespace", () => {
  it("reports what was set up, field by field", async (t) => {
    const ns = await TestNetns.create("show", t);
    const peer = await TestNetns.create("showpeer", t);
    await cable(ns, "ext0", peer, "ext0p");
    await peer.batch(["link set ext0p up", "addr add 203.0.113.254/24 dev ext0p"]);
    await ns.batch([
      "link add veth0 type veth peer name veth1",
      "link add bp0 type veth peer name bp0p",
      "link add bp1 type veth peer name bp1p",
      "link add br0 type bridge stp_state 1 forward_delay 1200 hello_time 300 max_age 1600 priority 4096 ageing_time 6000 group_fwd_mask 8 mcast_snooping 0",
      "link set bp0 master br0",
      "link set bp1 master br0",
      "link set bp1 type bridge_slave cost 7 priority 5 hairpin on",
      "link add vx0 type vxlan id 100 remote 192.0.2.200 local 192.0.2.1 dstport 4789 nolearning dev veth0",
      "link add mv0 link veth1 type macvlan mode bridge",
      "link set veth0 alias uplink",
      "link set veth0 mtu 1400",
      "link set veth1 promisc on",
      "link set veth0 up",
      "link set veth1 up",
      "link set bp0 up",
      "link set bp0p up",
      "link set br0 up",
      "link set ext0 up",
      "addr add 192.0.2.1/24 dev veth0",
      "addr add 2001:db8:1::1/64 dev veth0 nodad",
      "addr add 192.0.2.50/24 dev veth1 valid_lft 3600 preferred_lft 3600",
      "addr add 198.51.100.1/24 dev br0",
      "addr add 203.0.113.1/24 dev ext0",
      "addr add 2001:db8:2::1/64 dev ext0 nodad",
      "route add default via 203.0.113.254 dev ext0",
      "route add 198.51.100.128/25 via 192.0.2.254 dev veth0 metric 100 proto static",
      "route add 198.51.100.192/26 via 192.0.2.254 dev veth0 proto dhcp",
      "route add 203.0.113.128/25 via 203.0.113.254 dev ext0 table 100",
      "route add blackhole 198.51.100.64/26",
      "route add 2001:db8:99::/64 via 2001:db8:1::ff dev veth0",
      "route add 192.0.2.128/26 dev veth0 src 192.0.2.1 metric 10",
      "route add 198.51.100.0/26 nexthop via 192.0.2.253 dev veth0 weight 2 nexthop via 203.0.113.253 dev ext0",
      "route add 203.0.113.64/26 via 203.0.113.254 dev ext0 cwnd lock 20 proto static",
      "route add 203.0.113.32/27 via 203.0.113.254 dev ext0 cwnd 30",
      "rule add from 192.0.2.0/24 table 100 priority 1000",
    ]);
    await ns.ip(["-6", "rule", "add", "from", "2001:db8:1::/64", "table", "200", "priority", "1001"]);
    netnsResolvConf(t, ns.name, RESOLV_CONF);

    const snapshot = await readKernelSnapshot(ns.name);
    const { state } = snapshot;
    const mac = await macs(ns);
    const interfaces = state.interfaces;

    assert.deepEqual(
      interfaces?.map((i) => i.name),
      ["bp0", "bp0p", "bp1", "bp1p", "br0", "ext0", "lo", "mv0", "veth0", "veth1", "vx0"],
    );

    assert.deepEqual(find(interfaces, "veth0"), {
      name: "veth0",
      type: "veth",
      state: "up",
      description: "uplink",
      mtu: 1400,
      ...veth,
      "mac-address": mac.get("veth0"),
      "accept-all-mac-addresses": false,
      ipv4: { enabled: true, dhcp: false, address: [{ ip: "192.0.2.1", "prefix-length": 24 }], forwarding: false },
      ipv6: { enabled: true, dhcp: false, address: [{ ip: "2001:db8:1::1", "prefix-length": 64 }], ...ipv6Default },
      veth: { peer: "veth1" },
    });

    assert.deepEqual(find(interfaces, "veth1"), {
      name: "veth1",
      type: "veth",
      state: "up",
      mtu: 1500,
      ...veth,
      "mac-address": mac.get("veth1"),
      "accept-all-mac-addresses": true,
      ipv4: { enabled: true, dhcp: false, address: [{ ip: "192.0.2.50", "prefix-length": 24 }], forwarding: false },
      ipv6: { enabled: true, dhcp: false, address: [], ...ipv6Default },
      veth: { peer: "veth0" },
    });
    assert.deepEqual([...snapshot.dynamicAddresses], ["veth1/192.0.2.50/24"], "only the address with a lifetime is dynamic");

    assert.deepEqual(find(interfaces, "ext0"), {
      name: "ext0",
      type: "ethernet",
      state: "up",
      mtu: 1500,
      ...veth,
      "mac-address": mac.get("ext0"),
      "accept-all-mac-addresses": false,
      ipv4: { enabled: true, dhcp: false, address: [{ ip: "203.0.113.1", "prefix-length": 24 }], forwarding: false },
      ipv6: { enabled: true, dhcp: false, address: [{ ip: "2001:db8:2::1", "prefix-length": 64 }], ...ipv6Default },
    });

    const br0 = find(interfaces, "br0");
    assert.equal(br0.type, "linux-bridge");
    assert.equal(br0.state, "up");
    assert.equal(br0["mac-address"], mac.get("br0"));
    assert.deepEqual(br0.ipv4?.address, [{ ip: "198.51.100.1", "prefix-length": 24 }]);
    assert.deepEqual(br0.bridge?.options?.stp, { enabled: true, "forward-delay": 12, "hello-time": 3, "max-age": 16, priority: 4096 });
    // Kernels built with bridge VLAN filtering (not this host's) also report these two.
    const { stp: _stp, "vlan-protocol": vlanProtocol, "vlan-default-pvid": defaultPvid, ...options } = br0.bridge?.options ?? {};
    if (vlanProtocol !== undefined || defaultPvid !== undefined) assert.deepEqual([vlanProtocol, defaultPvid], ["802.1q", 1]);
    assert.deepEqual(options, {
      "mac-ageing-time": 60,
      "group-forward-mask": 8,
      "group-addr": "01:80:C2:00:00:00",
      "hash-max": 4096,
      "multicast-snooping": false,
      "multicast-router": "auto",
      "multicast-querier": false,
      "multicast-query-use-ifaddr": false,
      "multicast-last-member-count": 2,
      "multicast-last-member-interval": 100,
      "multicast-membership-interval": 26000,
      "multicast-querier-interval": 25500,
      "multicast-query-interval": 12500,
      "multicast-query-response-interval": 1000,
      "multicast-startup-query-count": 2,
      // 3125 cs set by the kernel, kept in jiffies: reads back as 3124 or 3125 depending on HZ.
      "multicast-startup-query-interval": options["multicast-startup-query-interval"],
    });
    assert.ok([3124, 3125].includes(options["multicast-startup-query-interval"]!));
    assert.deepEqual(br0.bridge?.port, [
      { name: "bp0", "stp-hairpin-mode": false, "stp-path-cost": 2, "stp-priority": 32 },
      { name: "bp1", "stp-hairpin-mode": true, "stp-path-cost": 7, "stp-priority": 5 },
    ]);
    assert.equal(find(interfaces, "bp0").controller, "br0");
    assert.equal(find(interfaces, "bp1").controller, "br0");
    assert.equal(find(interfaces, "bp1").state, "down");
    assert.equal(find(interfaces, "bp0")["accept-all-mac-addresses"], false);
    assert.equal(find(interfaces, "bp0p").controller, undefined);

    const vx0 = find(interfaces, "vx0");
    assert.equal(vx0.type, "vxlan");
    assert.equal(vx0.state, "down");
    assert.deepEqual(vx0.vxlan, { id: 100, "base-iface": "veth0", remote: "192.0.2.200", local: "192.0.2.1", "destination-port": 4789, learning: false });

    const mv0 = find(interfaces, "mv0");
    assert.equal(mv0.type, "mac-vlan");
    assert.equal(mv0.state, "down");
    assert.deepEqual(mv0["mac-vlan"], { "base-iface": "veth1", mode: "bridge", promiscuous: true });

    const lo = find(interfaces, "lo");
    assert.equal(lo.type, "loopback");
    assert.equal(lo.state, "up");
    assert.deepEqual(lo.ipv4?.address, [{ ip: "127.0.0.1", "prefix-length": 8 }]);
    assert.deepEqual(lo.ipv6?.address, [{ ip: "::1", "prefix-length": 128 }]);
    assert.equal(lo.ipv6?.autoconf, false);

    const via = (destination: string, dev: string, gateway: string | undefined, metric: number, extra: object = {}) => ({
      destination,
      "next-hop-interface": dev,
      ...(gateway ? { "next-hop-address": gateway } : {}),
      metric,
      "table-id": 254,
      ...extra,
    });
    const running = [
      { destination: "203.0.113.128/25", "next-hop-interface": "ext0", "next-hop-address": "203.0.113.254", metric: 0, "table-id": 100 },
      via("0.0.0.0/0", "ext0", "203.0.113.254", 0),
      via("192.0.2.128/26", "veth0", undefined, 10, { source: "192.0.2.1" }),
      via("198.51.100.0/26", "ext0", "203.0.113.253", 0, { weight: 1 }),
      via("198.51.100.0/26", "veth0", "192.0.2.253", 0, { weight: 2 }),
      { destination: "198.51.100.64/26", metric: 0, "table-id": 254, "route-type": "blackhole" },
      via("198.51.100.128/25", "veth0", "192.0.2.254", 100),
      via("198.51.100.192/26", "veth0", "192.0.2.254", 0),
      via("203.0.113.32/27", "ext0", "203.0.113.254", 0),
      via("203.0.113.64/26", "ext0", "203.0.113.254", 0, { cwnd: 20 }),
      via("2001:db8:99::/64", "veth0", "2001:db8:1::ff", 1024),
    ];
    assert.deepEqual(state.routes?.running, running);
    assert.deepEqual(
      state.routes?.config,
      running.filter((r) => r.destination !== "198.51.100.192/26"),
      "a route of protocol dhcp is running but not configured",
    );

    assert.deepEqual(state["route-rules"], {
      config: [
        { "ip-from": "192.0.2.0/24", priority: 1000, "route-table": 100, family: "ipv4" },
        { "ip-from": "2001:db8:1::/64", priority: 1001, "route-table": 200, family: "ipv6" },
      ],
    });

    assert.deepEqual(state["dns-resolver"], {
      running: { server: ["192.0.2.53", "2001:db8::53"], search: ["example.test"], options: ["ndots:2"] },
    });

    assert.deepEqual(keyOrderIssues(state, NetworkStateSchema), [], "keys follow the schema's order");
    assert.equal(snapshot.ifindex.get("lo"), 1);

    const again = await readKernelState(ns.name);
    assert.deepEqual(again, state, "two reads of an unchanged namespace are deep-equal");
  });

  it("spawns as many processes for 200 interfaces as for 10", async (t) => {
    const ns = await TestNetns.create("showspawn", t);
    const pairs = (from: number, to: number) => {
      const lines: string[] = [];
      for (let i = from; i < to; i++) lines.push(`link add sp${i} type veth peer name sq${i}`, `link set sp${i} up`, `addr add 2001:db8:5:${i.toString(16)}::1/64 dev sp${i} nodad`);
      return lines;
    };
    await ns.batch(["link add sbr0 type bridge", ...pairs(0, 4), "link set sp0 master sbr0"]);
    const count = async () => {
      const before = spawnCounter.count;
      const state = await readKernelState(ns.name);
      return { spawns: spawnCounter.count - before, interfaces: state.interfaces?.length ?? 0 };
    };
    const small = await count();
    await ns.batch([...pairs(4, 99), "link set sp50 master sbr0"]);
    const large = await count();
    t.diagnostic(`${small.interfaces} interfaces: ${small.spawns} processes; ${large.interfaces} interfaces: ${large.spawns} processes`);
    assert.equal(small.interfaces, 10);
    assert.equal(large.interfaces, 200);
    assert.equal(large.spawns, small.spawns);
    assert.ok(small.spawns <= 4, `${small.spawns} processes per read`);
  });
});
