import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IpRoute } from "./ipjson.ts";
import { destinationOf, hasCwnd, jsonRouteKey, lockedCwndKeys, routeEntries, routesSection } from "./route.ts";

const unicast = (fields: Partial<IpRoute>): IpRoute => ({ type: "1", dst: "192.0.2.0/24", table: "254", protocol: "4", scope: "0", flags: [], ...fields });

describe("destinationOf", () => {
  it("writes default routes and host routes as networks", () => {
    assert.equal(destinationOf("default", 4), "0.0.0.0/0");
    assert.equal(destinationOf("default", 6), "::/0");
    assert.equal(destinationOf("192.0.2.200", 4), "192.0.2.200/32");
    assert.equal(destinationOf("2001:0db8::/64", 6), "2001:db8::/64");
    assert.equal(destinationOf("100", 4), undefined);
  });
});

describe("routeEntries", () => {
  it("reports a static unicast route with every field, in schema order", () => {
    const [entry] = routeEntries(unicast({ dst: "198.51.100.0/24", gateway: "192.0.2.1", dev: "eth0", metric: 5, prefsrc: "192.0.2.7", metrics: [{ initcwnd: 10, mtu: 1400 }] }), 4);
    assert.deepEqual(entry, {
      route: {
        destination: "198.51.100.0/24",
        "next-hop-interface": "eth0",
        "next-hop-address": "192.0.2.1",
        metric: 5,
        "table-id": 254,
        source: "192.0.2.7",
        initcwnd: 10,
        mtu: 1400,
      },
      family: 4,
      configured: true,
    });
    assert.deepEqual(Object.keys(entry!.route), ["destination", "next-hop-interface", "next-hop-address", "metric", "table-id", "source", "initcwnd", "mtu"]);
  });

  it("gives IPv4 routes without a metric the kernel's 0 and leaves out a missing next hop", () => {
    const [entry] = routeEntries(unicast({ dev: "eth0", scope: "253" }), 4);
    assert.deepEqual(entry?.route, { destination: "192.0.2.0/24", "next-hop-interface": "eth0", metric: 0, "table-id": 254 });
  });

  it("flattens multipath routes into one entry per nexthop, weight 1 when iproute2 leaves it out", () => {
    const route = unicast({ nexthops: [{ gateway: "192.0.2.1", dev: "eth0", weight: 3, flags: [] }, { gateway: "192.0.2.2", dev: "eth1", flags: [] }] });
    assert.deepEqual(
      routeEntries(route, 4).map((e) => [e.route["next-hop-interface"], e.route["next-hop-address"], e.route.weight]),
      [["eth0", "192.0.2.1", 3], ["eth1", "192.0.2.2", 1]],
    );
  });

  it("reports blackhole/unreachable/prohibit with route-type and no interface (IPv6 ones name lo)", () => {
    const [entry] = routeEntries({ type: "7", dst: "2001:db8:3::/64", dev: "lo", table: "200", protocol: "3", scope: "0", metric: 1024, pref: "medium" }, 6);
    assert.deepEqual(entry?.route, { destination: "2001:db8:3::/64", metric: 1024, "table-id": 200, "route-type": "unreachable" });
  });

  it("leaves out kernel, local-table, host-scope, broadcast/multicast routes and unicast routes without an interface", () => {
    assert.deepEqual(routeEntries(unicast({ dev: "eth0", protocol: "2" }), 4), []);
    assert.deepEqual(routeEntries(unicast({ dev: "eth0", table: "255" }), 4), []);
    assert.deepEqual(routeEntries(unicast({ dev: "eth0", scope: "254" }), 4), []);
    assert.deepEqual(routeEntries(unicast({ dev: "eth0", type: "3" }), 4), []);
    assert.deepEqual(routeEntries(unicast({ dev: "eth0", type: "5" }), 4), []);
    assert.deepEqual(routeEntries(unicast({}), 4), []);
  });

  it("counts only boot and static routes as configured", () => {
    assert.equal(routeEntries(unicast({ dev: "eth0", protocol: "3" }), 4)[0]?.configured, true);
    assert.equal(routeEntries(unicast({ dev: "eth0", protocol: "16" }), 4)[0]?.configured, false);
  });
});

describe("cwnd", () => {
  const locked = unicast({ dst: "192.0.2.200", dev: "p2b", metric: 5, scope: "253", metrics: [{ cwnd: 33 }] });
  const unlocked = unicast({ dst: "192.0.2.201", dev: "p2b", metric: 5, scope: "253", metrics: [{ cwnd: 44 }] });
  const text = [
    "1 192.0.2.200 dev p2b table 254 proto 4 scope 253 metric 5 cwnd lock 33 ",
    "1 192.0.2.201 dev p2b table 254 proto 4 scope 253 metric 5 cwnd 44 ",
    "1 2001:db8:2::/64 via 2001:db8:1::1 dev p1b table 254 proto 3 scope 0 metric 1024 onlink mtu lock 1400 cwnd lock 10 initcwnd 20 pref medium",
  ];

  it("is looked up only when some route has one", () => {
    assert.equal(hasCwnd([locked]), true);
    assert.equal(hasCwnd([unicast({ dev: "eth0" })]), false);
  });

  it("finds locked cwnds in the text dump, keyed like the JSON routes", () => {
    const keys = lockedCwndKeys(text);
    assert.deepEqual([...keys].sort(), [jsonRouteKey(locked, 4), "6|1|2001:db8:2::/64|254|1024|p1b"].sort());
  });

  it("is reported only when locked", () => {
    const options = { lockedCwnd: lockedCwndKeys(text) };
    assert.equal(routeEntries(locked, 4, options)[0]?.route.cwnd, 33);
    assert.equal(routeEntries(unlocked, 4, options)[0]?.route.cwnd, undefined);
    assert.equal(routeEntries(locked, 4)[0]?.route.cwnd, undefined);
  });
});

describe("routesSection", () => {
  it("sorts by table, family, destination, metric, interface", () => {
    const { running, config } = routesSection(
      [
        unicast({ dst: "198.51.100.0/24", dev: "eth1", metric: 7 }),
        unicast({ dst: "198.51.100.0/24", dev: "eth0", metric: 7 }),
        unicast({ dst: "192.0.2.0/25", dev: "eth0", table: "100" }),
        unicast({ dst: "default", dev: "eth0", gateway: "192.0.2.1", protocol: "16" }),
        unicast({ dst: "198.51.100.0/24", dev: "eth0", metric: 1 }),
      ],
      [{ type: "1", dst: "2001:db8::/64", dev: "eth0", table: "254", protocol: "3", scope: "0", metric: 1024, pref: "medium" }],
    );
    assert.deepEqual(
      running.map((r) => `${r["table-id"]} ${r.destination} ${r.metric} ${r["next-hop-interface"]}`),
      [
        "100 192.0.2.0/25 0 eth0",
        "254 0.0.0.0/0 0 eth0",
        "254 198.51.100.0/24 1 eth0",
        "254 198.51.100.0/24 7 eth0",
        "254 198.51.100.0/24 7 eth1",
        "254 2001:db8::/64 1024 eth0",
      ],
    );
    assert.equal(config.length, 5);
    assert.ok(!config.some((r) => r.destination === "0.0.0.0/0"), "a DHCP route is running, not configured");
  });
});
