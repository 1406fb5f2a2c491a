/**
 * nmstate's other spellings of one setting become one model value, so merge,
 * plan and verify see a single form (cases from nmstate's unit tests).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue, formatPath } from "../issues.ts";
import { loadDesired } from "../load.ts";

const load = (text: string) => loadDesired([{ file: "state.yml", text }], { current: () => ({}) });
function state(text: string) {
  const result = load(text);
  assert.deepEqual(result.issues.map(formatIssue), []);
  return result.state!;
}

test("bond enumerated options by number or numeric string mean their names; all_slaves_active dropped/delivered/0/1 mean false/true", () => {
  const options = state(`interfaces:
- name: bond60
  type: bond
  link-aggregation:
    mode: 6
    options: {ad_select: 0, lacp_rate: "1", all_slaves_active: 1, arp_all_targets: 0, arp_validate: 6, fail_over_mac: "2", primary_reselect: 2, xmit_hash_policy: 5}
`).interfaces![0]!["link-aggregation"]!.options;
  assert.deepEqual(options, {
    ad_select: "stable", lacp_rate: "fast", all_slaves_active: true, arp_all_targets: "any", arp_validate: "filter_backup",
    fail_over_mac: "follow", primary_reselect: "failure", xmit_hash_policy: "vlan+srcmac",
  });
  for (const [word, value] of [["dropped", false], ["delivered", true]] as const) {
    const o = state(`interfaces:\n- name: b\n  type: bond\n  link-aggregation: {mode: balance-rr, options: {all_slaves_active: ${word}}}\n`).interfaces![0]!["link-aggregation"]!.options;
    assert.equal(o?.all_slaves_active, value);
  }
});

test("booleans as nmstate reads them: yes/no/on/off/y/n/1/0 in any case", () => {
  for (const [text, value] of [["'yes'", true], ["'No'", false], ["'on'", true], ["'OFF'", false], ["'y'", true], ["'n'", false], ["1", true], ["'0'", false]] as const) {
    const br = state(`interfaces:\n- name: br0\n  type: linux-bridge\n  bridge: {options: {multicast-snooping: ${text}}}\n`).interfaces![0]!.bridge!;
    assert.equal(br.options?.["multicast-snooping"], value, text);
  }
  assert.match(load("interfaces:\n- name: br0\n  type: linux-bridge\n  bridge: {options: {multicast-snooping: maybe}}\n").issues.map(formatIssue).join(), /multicast-snooping/);
});

test("multicast-router 0|1|2 and names in any case are disabled, auto, enabled", () => {
  for (const [given, name] of [["0", "disabled"], ["1", "auto"], ["'2'", "enabled"], ["Auto", "auto"]] as const) {
    const br = state(`interfaces:\n- name: br0\n  type: linux-bridge\n  bridge: {options: {multicast-router: ${given}}}\n`).interfaces![0]!.bridge!;
    assert.equal(br.options?.["multicast-router"], name);
  }
});

test("key aliases: vrf.ports, group-fwd-mask, accept-all-mac, valid-lft/preferred-left; the timers show reports are dropped", () => {
  const s = state(`interfaces:
- {name: vrf0, type: vrf, vrf: {ports: [eth1], route-table-id: 100}}
- {name: br0, type: linux-bridge, bridge: {options: {group-fwd-mask: 8, gc-timer: 29657, hello-timer: 0}}}
- {name: mac0, type: mac-vlan, mac-vlan: {base-iface: eth1, mode: vepa, accept-all-mac: 'true'}}
- name: eth1
  type: ethernet
  ipv4: {enabled: true, address: [{ip: 192.0.2.1, prefix-length: 24, valid-lft: 60sec, preferred-left: 30sec}]}
`);
  const [vrf, br, mac, eth] = s.interfaces!;
  assert.deepEqual(vrf!.vrf?.port, ["eth1"]);
  assert.deepEqual(br!.bridge?.options, { "group-forward-mask": 8 });
  assert.equal(mac!["mac-vlan"]?.promiscuous, true);
  assert.deepEqual(eth!.ipv4?.address?.[0], { ip: "192.0.2.1", "prefix-length": 24, "valid-life-time": "60sec", "preferred-life-time": "30sec" });
});

test("an alias and its key with different values are refused at the alias", () => {
  const issues = load("interfaces:\n- name: br0\n  type: linux-bridge\n  bridge: {options: {group-forward-mask: 1, group-fwd-mask: 2}}\n").issues;
  assert.deepEqual(issues.map((i) => formatPath(i.path)), ["interfaces[0].bridge.options.group-fwd-mask"]);
  assert.equal(issues[0]!.kind, "invalid");
  assert.equal(load("interfaces:\n- name: br0\n  type: linux-bridge\n  bridge: {options: {group-forward-mask: 1, group-fwd-mask: '1'}}\n").issues.length, 0);
});

test("an interface to remove keeps only name, type and state: the rest is ignored even when malformed", () => {
  const s = state("interfaces:\n- name: eth1\n  type: ethernet\n  state: absent\n  ipv4: {enabled: true, address: [{ip: g.g.g.g, prefix-length: 24}]}\n");
  assert.deepEqual(s.interfaces, [{ name: "eth1", type: "ethernet", state: "absent" }]);
});

test("a rule without route-table or action looks up main (254); an absent rule stays a wildcard", () => {
  const s = state("route-rules:\n  config:\n  - {ip-from: 192.0.2.0/24}\n  - {ip-to: 198.51.100.0/24, route-table: 0}\n  - {ip-from: 203.0.113.0/24, state: absent}\n");
  assert.deepEqual(s["route-rules"]?.config?.map((r) => r["route-table"]), [254, 254, undefined]);
});

test("a policy's state may be named desired (nmstate's field) or desiredState, not both", () => {
  const one = loadDesired([{ file: "p.yml", text: "desired:\n  interfaces:\n  - {name: eth1, type: ethernet, mtu: 1400}\n" }]);
  assert.deepEqual(one.issues, []);
  assert.equal(one.state?.interfaces?.[0]?.mtu, 1400);
  const both = loadDesired([{ file: "p.yml", text: "desired: {}\ndesiredState: {}\n" }]);
  assert.deepEqual(both.issues.map((i) => formatPath(i.path)), ["desired"]);
});

test("names nmstate resolves and nodenet does not are unsupported at their field: sriov:PF:VF, alt-names over 15 bytes", () => {
  const issues = load(`interfaces:
- name: br0
  type: linux-bridge
  bridge: {port: [{name: "sriov:eth1:2"}, {name: eth2}]}
routes:
  config:
  - {destination: 198.51.100.0/24, next-hop-interface: veryveryveryverylonglonglongname}
`).issues;
  assert.deepEqual(issues.map((i) => [i.kind, formatPath(i.path)]), [
    ["unsupported", "interfaces[0].bridge.port[0].name"],
    ["unsupported", "routes.config[0].next-hop-interface"],
  ]);
});

test("balance_slb off is what a kernel bond is; on is unsupported", () => {
  assert.deepEqual(load("interfaces:\n- {name: b, type: bond, link-aggregation: {mode: balance-xor, options: {balance-slb: 0}}}\n").issues, []);
  const on = load("interfaces:\n- {name: b, type: bond, link-aggregation: {mode: balance-xor, options: {balance_slb: true}}}\n").issues;
  assert.deepEqual(on.map((i) => [i.kind, formatPath(i.path)]), [["unsupported", "interfaces[0].link-aggregation.options.balance_slb"]]);
});
