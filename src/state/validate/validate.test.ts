/** Each rule: a bad input whose error names the right path, and the good input that passes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue, formatPath, type Issue } from "../issues.ts";
import { loadDesired } from "../load.ts";
import type { NetworkState } from "../schema/state.ts";
import { validate } from "./index.ts";

const HOST: NetworkState = {
  interfaces: [
    { name: "eth0", type: "ethernet", state: "up", "max-mtu": 9216, "min-mtu": 68, ipv4: { enabled: true, address: [{ ip: "192.0.2.10", "prefix-length": 24 }] }, ipv6: { enabled: false } },
    { name: "eth1", type: "ethernet", state: "up", ipv4: { enabled: false }, ipv6: { enabled: false } },
    { name: "eth2", type: "ethernet", state: "up", ipv4: { enabled: false }, ipv6: { enabled: false } },
    { name: "br9", type: "linux-bridge", state: "up", bridge: { port: [{ name: "eth2" }] }, ipv4: { enabled: false }, ipv6: { enabled: false } },
  ],
  routes: { running: [{ destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth0", "table-id": 254 }], config: [] },
};
HOST.interfaces![2]!.controller = "br9";

function check(yaml: string, options = {}): Issue[] {
  const loaded = loadDesired([{ file: "t.yml", text: yaml }]);
  assert.deepEqual(loaded.issues.filter((i) => i.severity === "error").map(formatIssue), [], "parses");
  return validate(loaded.state!, HOST, options).issues;
}

function expectIssue(yaml: string, path: string, pattern: RegExp, severity: "error" | "warning" = "error"): void {
  const issues = check(yaml);
  const found = issues.find((i) => formatPath(i.path) === path && pattern.test(i.message));
  assert.ok(found, `expected ${severity} at ${path} matching ${pattern}; got:\n${issues.map(formatIssue).join("\n")}`);
  assert.equal(found.severity, severity);
}

const iface = (body: string) => `interfaces:\n- ${body}\n`;

test("a valid change yields no issue at all", () => {
  const issues = check(`interfaces:
- name: br0
  type: linux-bridge
  bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}
  ipv4: {enabled: true, address: [{ip: 198.51.100.1, prefix-length: 24}]}
routes:
  config:
  - {destination: 203.0.113.0/24, next-hop-address: 198.51.100.254, next-hop-interface: br0}
dns-resolver:
  config: {server: [192.0.2.53, "fe80::1%br0"], search: [example.com]}
`);
  assert.deepEqual(issues.map(formatIssue), []);
});

test("malformed address with a backslash prefix gets a fix", () => {
  const issues = check(iface("{name: eth1, ipv4: {enabled: true, address: [{ip: '192.168.1.10\\24', prefix-length: 24}]}}"));
  assert.equal(formatPath(issues[0]!.path), "interfaces[0].ipv4.address[0].ip");
  assert.match(issues[0]!.message, /address with a prefix length/);
  assert.equal(issues[0]!.hint, "write ip: 192.168.1.10 and prefix-length: 24");
});

test("prefix length out of range for the family", () => {
  expectIssue(iface("{name: eth1, ipv4: {enabled: true, address: [{ip: 192.0.2.5, prefix-length: 33}]}}"), "interfaces[0].ipv4.address[0].prefix-length", /out of range for ipv4: 0–32/);
});

test("an IPv6 address in the IPv4 section", () => {
  expectIssue(iface("{name: eth1, ipv4: {enabled: true, address: [{ip: '2001:db8::1', prefix-length: 64}]}}"), "interfaces[0].ipv4.address[0].ip", /IPv6 address in the IPv4 section/);
});

test("IPv4-mapped and IPv4-compatible IPv6 addresses are refused with the reason", () => {
  expectIssue(iface("{name: eth1, ipv6: {enabled: true, address: [{ip: '::ffff:192.0.2.1', prefix-length: 64}]}}"), "interfaces[0].ipv6.address[0].ip", /^::ffff:192\.0\.2\.1 is an IPv4-mapped.*use 192\.0\.2\.1/);
  expectIssue(iface("{name: eth1, ipv6: {enabled: true, address: [{ip: '::192.0.2.1', prefix-length: 64}]}}"), "interfaces[0].ipv6.address[0].ip", /IPv4-compatible/);
  expectIssue("dns-resolver: {config: {server: ['::ffff:192.0.2.53']}}", "dns-resolver.config.server[0]", /IPv4-mapped/);
});

test("two addresses of one subnet warn, unless allowed", () => {
  const yaml = iface("{name: eth1, ipv4: {enabled: true, address: [{ip: 192.0.2.5, prefix-length: 24}, {ip: 192.0.2.6, prefix-length: 24}]}}");
  expectIssue(yaml, "interfaces[0].ipv4.address[1].ip", /same subnet 192\.0\.2\.0\/24/, "warning");
  assert.deepEqual(check(yaml, { allowSameSubnet: true }), []);
});

test("gateway outside every subnet of its interface", () => {
  expectIssue(
    `${iface("{name: eth1, ipv4: {enabled: true, address: [{ip: 198.51.100.5, prefix-length: 24}]}}")}routes: {config: [{destination: 0.0.0.0/0, next-hop-address: 203.0.113.1, next-hop-interface: eth1}]}`,
    "routes.config[0].next-hop-address",
    /not inside any subnet of eth1 \(198\.51\.100\.5\/24\)/,
  );
});

test("a gateway reached through DHCP or onlink is not second-guessed", () => {
  assert.deepEqual(check(`${iface("{name: eth1, ipv4: {enabled: true, dhcp: true}}")}routes: {config: [{destination: 0.0.0.0/0, next-hop-address: 203.0.113.1, next-hop-interface: eth1}]}`).filter((i) => i.severity === "error"), []);
});

test("link-local IPv6 DNS server without an interface", () => {
  expectIssue("dns-resolver: {config: {server: ['fe80::1']}}", "dns-resolver.config.server[0]", /link-local.*without an interface/);
});

test("a port claimed by two controllers", () => {
  expectIssue(
    "interfaces:\n- {name: br0, type: linux-bridge, bridge: {port: [{name: eth1}]}}\n- {name: bond0, type: bond, link-aggregation: {mode: active-backup, port: [eth1]}}\n",
    "interfaces[1].link-aggregation.port[0]",
    /eth1 is already a port of br0/,
  );
});

test("a new bond without mode", () => {
  expectIssue(iface("{name: bond0, type: bond, link-aggregation: {port: [eth1]}}"), "interfaces[0].link-aggregation.mode", /a new bond needs a mode/);
});

test("a VLAN without base, and ids outside 1–4094", () => {
  expectIssue(iface("{name: v100, type: vlan, vlan: {id: 100}}"), "interfaces[0].vlan.base-iface", /needs its base interface/);
  expectIssue(iface("{name: v0, type: vlan, vlan: {id: 4095, base-iface: eth1}}"), "interfaces[0].vlan.id", /out of range: 1–4094/);
  expectIssue(iface("{name: v0, type: vlan, vlan: {id: 0, base-iface: eth1}}"), "interfaces[0].vlan.id", /out of range: 1–4094/);
});

test("MTU out of range (schema), above the device's maximum, too large for a new link", () => {
  const loaded = loadDesired([{ file: "t.yml", text: iface("{name: eth1, mtu: 60}") }]);
  assert.equal(formatPath(loaded.issues[0]!.path), "interfaces[0].mtu");
  expectIssue(iface("{name: br5, type: linux-bridge, mtu: 70000}"), "interfaces[0].mtu", /largest MTU a new linux-bridge can have/);
  expectIssue(iface("{name: eth0, mtu: 9300}"), "interfaces[0].mtu", /above this device's maximum MTU 9216/);
});

test("IP configuration on a bridge or bond port", () => {
  expectIssue(
    "interfaces:\n- {name: br0, type: linux-bridge, bridge: {port: [{name: eth1}]}}\n- {name: eth1, ipv4: {enabled: true, address: [{ip: 198.51.100.2, prefix-length: 24}]}}\n",
    "interfaces[1].ipv4",
    /port of br0 and cannot have IP configuration/,
  );
});

test("a route via an interface that will not exist", () => {
  expectIssue("routes: {config: [{destination: 198.51.100.0/24, next-hop-interface: eth7}]}", "routes.config[0].next-hop-interface", /eth7, which will not exist/);
  expectIssue(
    "interfaces: [{name: br9, state: absent}]\nroutes: {config: [{destination: 198.51.100.0/24, next-hop-interface: br9}]}",
    "routes.config[0].next-hop-interface",
    /this change removes/,
  );
});

test("an unknown interface without a type", () => {
  expectIssue(iface("{name: eht1, mtu: 1500}"), "interfaces[0].name", /does not exist, and without a type/);
  assert.equal(check(iface("{name: eht1, mtu: 1500}"))[0]!.hint, "did you mean eth1? otherwise add a type");
});

test("the management interface left without an address source is a warning naming the fix", () => {
  expectIssue(
    iface("{name: br0, type: linux-bridge, bridge: {port: [{name: eth0}]}}"),
    "interfaces[0]",
    /eth0 carries the default route \(via 192\.0\.2\.1\) and becomes a port of br0, which has no ipv4 address/,
    "warning",
  );
  expectIssue(iface("{name: eth0, ipv4: {enabled: false}}"), "interfaces[0]", /left without ipv4 address/, "warning");
  assert.deepEqual(check(iface("{name: br0, type: linux-bridge, bridge: {port: [{name: eth0}]}, ipv4: {enabled: true, dhcp: true}}")), []);
});

test("sections that do not belong to the interface's type", () => {
  expectIssue(iface("{name: bond0, type: bond, link-aggregation: {mode: active-backup}, bridge: {port: []}}"), "interfaces[0].bridge", /belongs on a linux-bridge/);
});

test("bond options that do not apply to the mode", () => {
  expectIssue(iface("{name: bond0, type: bond, link-aggregation: {mode: active-backup, options: {lacp_rate: fast}}}"), "interfaces[0].link-aggregation.options.lacp_rate", /only to bond mode 802\.3ad/);
});

test("trunk ports need tags; ranges must be ordered", () => {
  expectIssue(iface("{name: br0, type: linux-bridge, bridge: {port: [{name: eth1, vlan: {mode: trunk}}]}}"), "interfaces[0].bridge.port[0].vlan.trunk-tags", /needs trunk-tags/);
  expectIssue(
    iface("{name: br0, type: linux-bridge, bridge: {port: [{name: eth1, vlan: {mode: trunk, trunk-tags: [{id-range: {min: 300, max: 200}}]}}]}}"),
    "interfaces[0].bridge.port[0].vlan.trunk-tags[0].id-range",
    /min 300 is above max 200/,
  );
});

test("an interface declared twice", () => {
  expectIssue("interfaces:\n- {name: eth1, mtu: 1500}\n- {name: eth1, mtu: 9000}\n", "interfaces[1].name", /declared twice/);
});

test("every problem is reported at once", () => {
  const issues = check(`interfaces:
- {name: bond0, type: bond, link-aggregation: {port: [eth1]}}
- {name: v1, type: vlan, vlan: {id: 4095, base-iface: bond0}}
routes: {config: [{destination: 198.51.100.0/24, next-hop-interface: nope0}]}
`);
  const paths = issues.filter((i) => i.severity === "error").map((i) => formatPath(i.path));
  assert.ok(paths.includes("interfaces[0].link-aggregation.mode"));
  assert.ok(paths.includes("interfaces[1].vlan.id"));
  assert.ok(paths.includes("routes.config[0].next-hop-interface"));
});

test("a port whose controller's declared port list leaves it out (an empty list too) is refused at its controller field, as nmstate does", () => {
  expectIssue(
    "interfaces:\n- {name: br0, type: linux-bridge, bridge: {ports: []}}\n- {name: bond99, type: bond, state: up, controller: br0, link-aggregation: {mode: balance-rr, port: [eth2, eth1]}}\n",
    "interfaces[1].controller",
    /bond99 names br0 as its controller, but interfaces\[0\]\.bridge\.port of br0 does not list it \(it is empty\)/,
  );
  expectIssue("interfaces:\n- {name: br0, type: linux-bridge, bridge: {port: [{name: eth2}]}}\n- {name: eth1, controller: br0}\n", "interfaces[1].controller", /does not list it$/);
  const agreeing = check("interfaces:\n- {name: br0, type: linux-bridge, bridge: {port: [{name: eth1}]}}\n- {name: eth1, controller: br0}\n");
  assert.deepEqual(agreeing.filter((i) => i.severity === "error").map(formatIssue), []);
  const undeclaredList = check("interfaces:\n- {name: br0, type: linux-bridge}\n- {name: eth1, controller: br0}\n");
  assert.deepEqual(undeclaredList.filter((i) => i.severity === "error").map(formatIssue), [], "a controller that does not redeclare its list takes the port");
});

test("a unicast route into 0.0.0.0/8 (a bare 0.0.0.0 included) is refused; the default route and typed routes are not", () => {
  expectIssue("routes: {config: [{destination: 0.0.0.0/8, next-hop-address: 192.0.2.1, next-hop-interface: eth0}]}\n", "routes.config[0].destination", /inside 0\.0\.0\.0\/8/);
  expectIssue("routes: {config: [{destination: 0.1.2.0/24, next-hop-address: 192.0.2.1, next-hop-interface: eth0}]}\n", "routes.config[0].destination", /inside 0\.0\.0\.0\/8/);
  expectIssue("routes: {config: [{destination: 0.0.0.0, next-hop-address: 192.0.2.1, next-hop-interface: eth0}]}\n", "routes.config[0].destination", /inside 0\.0\.0\.0\/8/);
  for (const ok of ["{destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: eth0}", "{destination: 0.0.0.0/8, route-type: blackhole}", "{destination: 10.0.0.0/8, next-hop-address: 192.0.2.1, next-hop-interface: eth0}"]) {
    const issues = check(`routes: {config: [${ok}]}\n`).filter((i) => formatPath(i.path) === "routes.config[0].destination" && i.severity === "error");
    assert.deepEqual(issues.map(formatIssue), [], ok);
  }
});
