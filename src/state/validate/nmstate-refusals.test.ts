/** Documents nmstate's own unit tests refuse, refused here too with the field named. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatPath } from "../issues.ts";
import { loadDesired } from "../load.ts";
import { validate } from "./index.ts";

function errors(yaml: string): string[] {
  const loaded = loadDesired([{ file: "t.yml", text: yaml }]);
  assert.deepEqual(loaded.issues, []);
  return validate(loaded.state!, { interfaces: ["eth1", "eth2"].map((name) => ({ name, type: "ethernet" as const, state: "up" as const })) })
    .issues.filter((i) => i.severity === "error")
    .map((i) => formatPath(i.path));
}
const port = (vlan: string) => `interfaces:\n- name: br0\n  type: linux-bridge\n  bridge:\n    port:\n    - name: eth1\n      vlan: ${vlan}\n`;

test("trunk-tags that overlap (id/id, id/range, range/range) are refused at the later one", () => {
  assert.deepEqual(errors(port("{mode: trunk, trunk-tags: [{id: 100}, {id: 100}]}")), ["interfaces[0].bridge.port[0].vlan.trunk-tags[1]"]);
  assert.deepEqual(errors(port("{mode: trunk, trunk-tags: [{id-range: {min: 2, max: 200}}, {id: 101}]}")), ["interfaces[0].bridge.port[0].vlan.trunk-tags[1]"]);
  assert.deepEqual(errors(port("{mode: trunk, trunk-tags: [{id-range: {min: 2, max: 200}}, {id-range: {min: 200, max: 300}}]}")), ["interfaces[0].bridge.port[0].vlan.trunk-tags[1]"]);
  assert.deepEqual(errors(port("{mode: trunk, trunk-tags: [{id-range: {min: 2, max: 199}}, {id-range: {min: 200, max: 300}}]}")), []);
});

test("a trunk port's tag needs enable-native", () => {
  assert.deepEqual(errors(port("{mode: trunk, tag: 200, trunk-tags: [{id: 300}]}")), ["interfaces[0].bridge.port[0].vlan.tag"]);
  assert.deepEqual(errors(port("{mode: trunk, tag: 200, enable-native: true, trunk-tags: [{id: 300}]}")), []);
});

test("resolver options: known names, and a value only for ndots, timeout, attempts", () => {
  assert.deepEqual(errors("dns-resolver: {config: {options: [rotate, 'ndots:2', 'ndot:9', haha, 'rotate:1', 'timeout:x']}}"), [
    "dns-resolver.config.options[2]", "dns-resolver.config.options[3]", "dns-resolver.config.options[4]", "dns-resolver.config.options[5]",
  ]);
});

test("bond: a queue-id given twice, a multicast ad_actor_system, a mac-address with fail_over_mac active", () => {
  assert.deepEqual(errors("interfaces:\n- {name: b0, type: bond, link-aggregation: {mode: active-backup, port: [eth1, eth2], ports-config: [{name: eth1, queue-id: 1}, {name: eth2, queue-id: 1}]}}\n"), ["interfaces[0].link-aggregation.ports-config[1].queue-id"]);
  assert.deepEqual(errors("interfaces:\n- {name: b0, type: bond, link-aggregation: {mode: 802.3ad, options: {ad_actor_system: '01:00:5E:00:0f:01'}}}\n"), ["interfaces[0].link-aggregation.options.ad_actor_system"]);
  assert.deepEqual(errors("interfaces:\n- {name: b0, type: bond, mac-address: '00:01:02:03:04:05', link-aggregation: {mode: active-backup, options: {fail_over_mac: active}}}\n"), ["interfaces[0].mac-address"]);
});
