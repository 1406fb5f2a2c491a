import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { loadDesired } from "../../state/load.ts";
import { mergeStates } from "../../state/merge/index.ts";
import { parseState } from "../../state/parse/index.ts";
import { revertState } from "../../state/revert.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { plan } from "../../state/plan/index.ts";
import { describe } from "./commands.ts";

const state = (yaml: string): NetworkState => {
  const loaded = loadDesired([{ file: "t.yml", text: yaml }]);
  assert.deepEqual(loaded.issues, []);
  return loaded.state!;
};
/** The kernel commands a plan stands for, as `diff --plan` prints them. */
const commands = (desired: string, current: NetworkState) => plan(mergeStates(state(desired), current)).map(describe);
const indexOf = (lines: string[], text: string) => {
  const i = lines.findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} missing from:\n${lines.join("\n")}`);
  return i;
};

const NICS: NetworkState = {
  interfaces: ["eth1", "eth2"].map((name) => ({ name, type: "ethernet" as const, state: "up" as const, ipv4: { enabled: false }, ipv6: { enabled: false } })),
};

test("any nesting depth: bond → VLAN → bridge are created in dependency order, whatever the file's order", () => {
  const lines = commands(
    `interfaces:
- {name: br29, type: linux-bridge, bridge: {port: [{name: vlan29}]}}
- {name: vlan29, type: vlan, vlan: {base-iface: bond0, id: 29}}
- {name: bond0, type: bond, link-aggregation: {mode: active-backup, port: [eth1, eth2]}}
`,
    NICS,
  );
  assert.ok(indexOf(lines, "link add bond0") < indexOf(lines, "link add link bond0 name vlan29"));
  assert.ok(indexOf(lines, "link add link bond0 name vlan29") < indexOf(lines, "link add br29"));
  assert.ok(indexOf(lines, "dev eth1 master bond0") < indexOf(lines, "dev vlan29 up"));
  // The bonding driver takes ports that are down; they come up after.
  assert.ok(indexOf(lines, "dev eth1 down") < indexOf(lines, "dev eth1 master bond0"));
  assert.ok(indexOf(lines, "dev bond0 up") < indexOf(lines, "dev vlan29 up"));
  assert.ok(indexOf(lines, "dev vlan29 up") < indexOf(lines, "dev br29 up"));
});

test("removal goes deepest first; VLANs on a removed bond are removed before it", () => {
  const current: NetworkState = {
    interfaces: [
      ...NICS.interfaces!.map((i) => ({ ...i, controller: "bond0" })),
      { name: "bond0", type: "bond", state: "up", "link-aggregation": { mode: "active-backup", port: ["eth1", "eth2"] } },
      { name: "vlan29", type: "vlan", state: "up", vlan: { "base-iface": "bond0", id: 29 } },
    ],
  };
  const lines = commands("interfaces: [{name: bond0, state: absent}]", current);
  assert.ok(indexOf(lines, "link del vlan29") < indexOf(lines, "link del bond0"));
});

test("addresses after links are up, routes after addresses, DNS last", () => {
  const lines = commands(
    `interfaces:
- {name: br0, type: linux-bridge, bridge: {port: [{name: eth1}]}, ipv4: {enabled: true, address: [{ip: 192.0.2.2, prefix-length: 24}]}}
routes: {config: [{destination: 198.51.100.0/24, next-hop-address: 192.0.2.1, next-hop-interface: br0}]}
dns-resolver: {config: {server: [192.0.2.53]}}
`,
    NICS,
  );
  assert.ok(indexOf(lines, "dev br0 up") < indexOf(lines, "192.0.2.2/24 dev br0"));
  assert.ok(indexOf(lines, "192.0.2.2/24 dev br0") < indexOf(lines, "route replace 198.51.100.0/24"));
  assert.equal(indexOf(lines, "write-resolv.conf"), lines.length - 1);
});

test("a veth pair is created once, by one of its ends", () => {
  const lines = commands("interfaces:\n- {name: va, type: veth, veth: {peer: vb}}\n- {name: vb, type: veth, veth: {peer: va}}\n", {});
  assert.equal(lines.filter((l) => l.includes("type veth")).length, 1);
});

test("a state the host already has plans nothing (fixtures and their reverts)", () => {
  const dir = new URL("../../state/fixtures/diff/", import.meta.url).pathname;
  for (const name of readdirSync(dir)) {
    const current = parseState(parse(readFileSync(`${dir}/${name}/current.yml`, "utf8"))).state!;
    // The revert of an empty change restores nothing; applying the current state onto itself is a no-op.
    const selfRevert = revertState(mergeStates({ interfaces: current.interfaces ?? [] }, current));
    assert.deepEqual(plan(mergeStates(selfRevert, current)).map(describe), [], name);
  }
});

test("reverting a change, planned against the changed host, undoes exactly it", () => {
  const before: NetworkState = {
    interfaces: [{ name: "eth1", type: "ethernet", state: "up", mtu: 1500, ipv4: { enabled: true, address: [{ ip: "192.0.2.5", "prefix-length": 24 }] }, ipv6: { enabled: false } }],
  };
  const merged = mergeStates(state("interfaces: [{name: eth1, mtu: 9000, ipv4: {address: [{ip: 198.51.100.5, prefix-length: 24}]}}]"), before);
  const after: NetworkState = { interfaces: [merged.interfaces.get("eth1")!.merged] };
  const lines = plan(mergeStates(revertState(merged), after)).map(describe);
  assert.deepEqual(lines, [
    "ip link set dev eth1 mtu 1500",
    "ip address del 198.51.100.5/24 dev eth1",
    "ip address replace 192.0.2.5/24 dev eth1 valid_lft forever preferred_lft forever",
  ]);
});

test("removing an IPv4 primary with its secondary deletes the secondary first (the kernel deletes secondaries with their primary)", () => {
  // As the kernel lists them: the primary .66 first, its secondary .67 after (fuzz seed 20261202).
  const current = state(`
interfaces:
- {name: br0, type: linux-bridge, state: up, ipv4: {enabled: true, address: [{ip: 192.0.2.66, prefix-length: 28}, {ip: 192.0.2.67, prefix-length: 28}]}}
`);
  const lines = commands("interfaces: [{name: br0, type: linux-bridge, state: up, ipv4: {enabled: false}}]", current).filter((l) => l.includes("address del"));
  assert.deepEqual(lines, ["ip address del 192.0.2.67/28 dev br0", "ip address del 192.0.2.66/28 dev br0"]);
});

test("an enabled IPv6 section without autoconf stops router advertisements (accept_ra=0) before the link comes up; autoconf accepts them; enabled: false leaves the switch", () => {
  const current: NetworkState = { interfaces: [{ name: "eth1", type: "ethernet", state: "up", ipv4: { enabled: false }, ipv6: { enabled: true, dhcp: false, autoconf: false, address: [], "accept-ra": 1 } }] };
  const staticOnly = commands("interfaces: [{name: eth1, ipv6: {enabled: true, autoconf: false, dhcp: false, address: [{ip: 2001:db8::2, prefix-length: 64}]}}]", current);
  assert.ok(indexOf(staticOnly, "accept_ra=0") < indexOf(staticOnly, "2001:db8::2/64 dev eth1"));
  // DHCPv6 alone (NetworkManager's method dhcp) and a link-local-only section hear no RAs either.
  assert.ok(commands("interfaces: [{name: eth1, ipv6: {enabled: true, dhcp: true, autoconf: false}}]", current).some((l) => l.includes("accept_ra=0")));
  assert.ok(commands("interfaces: [{name: eth1, ipv6: {enabled: true}}]", current).some((l) => l.includes("accept_ra=0")));
  assert.ok(!commands("interfaces: [{name: eth1, ipv6: {enabled: false}}]", current).some((l) => l.includes("accept_ra")));
  assert.ok(!commands("interfaces: [{name: eth1, mtu: 1400}]", current).some((l) => l.includes("accept_ra")));
  // A new link is written before it comes up (the kernel solicits routers as it does).
  const created = commands("interfaces: [{name: v0, type: veth, veth: {peer: v1}, ipv6: {enabled: true, address: [{ip: 2001:db8::2, prefix-length: 64}]}}]", current);
  assert.ok(indexOf(created, "v0/accept_ra=0") < indexOf(created, "dev v0 up"));
  const auto = commands("interfaces: [{name: eth1, ipv6: {enabled: true, autoconf: true, dhcp: true}}]", current);
  assert.ok(auto.some((l) => l.includes("accept_ra=2")));
});

test("static-only IPv6 already without RAs plans nothing, and its revert puts the old accept_ra back", () => {
  const desired = state("interfaces: [{name: eth1, ipv6: {enabled: true, autoconf: false, dhcp: false, address: [{ip: 2001:db8::2, prefix-length: 64}]}}]");
  const before: NetworkState = { interfaces: [{ name: "eth1", type: "ethernet", state: "up", ipv4: { enabled: false }, ipv6: { enabled: true, dhcp: false, autoconf: false, address: [], "accept-ra": 1 } }] };
  const merged = mergeStates(desired, before);
  const after: NetworkState = { interfaces: [{ ...before.interfaces![0]!, ipv6: { enabled: true, dhcp: false, autoconf: false, address: [{ ip: "2001:db8::2", "prefix-length": 64 }], "accept-ra": 0 } }] };
  assert.deepEqual(plan(mergeStates(desired, after)).map(describe), []);
  const undo = plan(mergeStates(revertState(merged), after)).map(describe);
  assert.ok(undo.some((l) => l.includes("eth1/accept_ra=1")), undo.join("\n"));
});
