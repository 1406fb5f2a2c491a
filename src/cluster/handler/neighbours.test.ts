import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDesired } from "../../state/load.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { conflicts, describeConflicts, missingInterfaces } from "./neighbours.ts";

const state = (yaml: string) => loadDesired([{ file: "t.yml", text: yaml }]).state!;
const HOST: NetworkState = { interfaces: [{ name: "eth1", type: "ethernet", state: "up" }] };

test("a VLAN on a bond another policy creates is a dependency; what the state creates itself is not", () => {
  assert.deepEqual(missingInterfaces(state("interfaces: [{name: bond0.10, type: vlan, vlan: {base-iface: bond0, id: 10}}]"), HOST), ["bond0"]);
  assert.deepEqual(missingInterfaces(state("interfaces: [{name: bond0, type: bond, link-aggregation: {mode: active-backup, port: [eth1]}}, {name: bond0.10, type: vlan, vlan: {base-iface: bond0, id: 10}}]"), HOST), []);
  assert.deepEqual(missingInterfaces(state("interfaces: [{name: br1, type: linux-bridge, bridge: {port: [{name: va}]}}]\nroutes: {config: [{destination: 198.51.100.0/24, next-hop-interface: vx}]}"), HOST), ["va", "vx"]);
  assert.deepEqual(missingInterfaces(state("interfaces: [{name: eth1, mtu: 9000}]"), HOST), []);
});

test("fields set by both policies to different values are conflicts; the same value is not", () => {
  const a = state("interfaces: [{name: br1, type: linux-bridge, mtu: 9000, bridge: {options: {stp: {enabled: false}}}}]");
  const b = state("interfaces: [{name: br1, type: linux-bridge, mtu: 1500, bridge: {options: {stp: {enabled: false}}}}]");
  const found = conflicts(a, b);
  assert.deepEqual(found, [{ interface: "br1", field: "mtu", ours: 9000, theirs: 1500 }]);
  assert.equal(describeConflicts("jumbo", "standard", "node-1", found), "policy jumbo conflicts with policy standard on node-1: br1.mtu is 9000 in jumbo but 1500 in standard; change one of them (nodenet does not let two policies fight over a field)");
  assert.deepEqual(conflicts(a, state("interfaces: [{name: br1, description: storage}]")), []);
});
