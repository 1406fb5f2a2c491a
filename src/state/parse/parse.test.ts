import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue, formatPath } from "../issues.ts";
import { loadDesired } from "../load.ts";

const load = (text: string, file = "state.yml") => loadDesired([{ file, text }]);
const messages = (text: string) => load(text).issues.map(formatIssue);

test("unknown keys are errors with a did-you-mean and the key's line", () => {
  const [issue, ...rest] = load("interfaces:\n  - name: eth1\n    mtuu: 1500\n").issues;
  assert.equal(rest.length, 0);
  assert.equal(formatPath(issue!.path), "interfaces[0].mtuu");
  assert.equal(issue!.hint, 'did you mean "mtu"?');
  assert.deepEqual(issue!.source, { file: "state.yml", line: 3, column: 5 });
});

test("unknown keys deep inside sections get suggestions from that section", () => {
  const issue = load("interfaces:\n- name: br0\n  type: linux-bridge\n  bridge:\n    options:\n      stp:\n        enable: false\n").issues[0]!;
  assert.equal(formatPath(issue.path), "interfaces[0].bridge.options.stp.enable");
  assert.equal(issue.hint, 'did you mean "enabled"?');
});

test("enum values get a did-you-mean", () => {
  const issue = load("interfaces:\n- name: eth1\n  state: upp\n").issues[0]!;
  assert.equal(formatPath(issue.path), "interfaces[0].state");
  assert.match(issue.message, /"upp" is not allowed; expected one of: up, down, absent, ignore/);
  assert.equal(issue.hint, 'did you mean "up"?');
});

test("nmstate's aliases and string numbers are accepted", () => {
  const result = load(`interfaces:
- name: bond0
  type: bond
  link-aggregation:
    mode: 4
    slaves: [eth1, eth2]
    options:
      miimon: '140'
      lacp-rate: fast
  mac-address: 02:ab:cd:ef:00:01
`);
  assert.deepEqual(result.issues, []);
  const bond = result.state!.interfaces![0]!;
  assert.equal(bond["link-aggregation"]!.mode, "802.3ad");
  assert.deepEqual(bond["link-aggregation"]!.port, ["eth1", "eth2"]);
  assert.equal(bond["link-aggregation"]!.options!.miimon, 140);
  assert.equal(bond["link-aggregation"]!.options!.lacp_rate, "fast");
  assert.equal(bond["mac-address"], "02:AB:CD:EF:00:01");
});

test("wrong types name the field and what was given", () => {
  assert.match(messages("interfaces:\n- name: eth1\n  mtu: big\n")[0]!, /interfaces\[0\]\.mtu: expected a number, got the string "big"/);
  assert.match(messages("interfaces:\n- name: eth1\n  mtu: 40\n")[0]!, /interfaces\[0\]\.mtu: 40 is too small: at least 68/);
  assert.match(messages("interfaces:\n- type: ethernet\n")[0]!, /interfaces\[0\]\.name: is required/);
});

test("YAML syntax errors carry line and column", () => {
  const [issue] = load("interfaces:\n  - name: eth1\n   mtu: 1500\n").issues;
  assert.ok(issue);
  assert.match(formatIssue(issue), /^state\.yml:\d+:\d+: error: \(document\): YAML syntax/);
});

test("several documents and several files form one state", () => {
  const result = loadDesired([
    { file: "a.yml", text: "interfaces: [{name: eth1, mtu: 1400}]\n---\nroutes: {config: [{destination: 198.51.100.0/24, next-hop-interface: eth1}]}\n" },
    { file: "b.json", text: '{"interfaces": [{"name": "eth2", "state": "down"}], "dns-resolver": {"config": {"server": ["192.0.2.53"]}}}' },
  ]);
  assert.deepEqual(result.issues, []);
  assert.deepEqual(result.state!.interfaces!.map((i) => i.name), ["eth1", "eth2"]);
  assert.equal(result.state!.routes!.config!.length, 1);
  assert.deepEqual(result.state!["dns-resolver"]!.config!.server, ["192.0.2.53"]);
});

test("a NodeNetworkConfigurationPolicy manifest yields its desiredState, with paths under spec", () => {
  const result = load("apiVersion: nmstate.io/v1\nkind: NodeNetworkConfigurationPolicy\nmetadata: {name: x}\nspec:\n  desiredState:\n    interfaces:\n    - name: eth1\n      mtuu: 9000\n");
  assert.equal(formatPath(result.issues[0]!.path), "spec.desiredState.interfaces[0].mtuu");
  assert.equal(result.issues[0]!.source!.line, 8);
});

test("other Kubernetes kinds are refused clearly", () => {
  assert.match(messages("apiVersion: v1\nkind: ConfigMap\n")[0]!, /a ConfigMap \(v1\) is not a network state/);
});

test("a policy that uses capture without a host says what it needs", () => {
  assert.match(messages('capture: {gw: routes.running.destination=="0.0.0.0/0"}\ndesiredState: {}\n')[0]!, /needs the current state of a host/);
});

test("an unsupported interface does not shift the paths of the ones after it", () => {
  const issues = load("interfaces:\n- name: br-ovs\n  type: ovs-bridge\n- name: eth1\n  mtuu: 1\n").issues;
  assert.deepEqual(issues.map((i) => [i.kind, formatPath(i.path)]), [
    ["unsupported", "interfaces[0].type"],
    ["invalid", "interfaces[1].mtuu"],
  ]);
});
