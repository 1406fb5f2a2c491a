import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDesired } from "../../state/load.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { conflicts, describeConflicts, precedes, missingInterfaces } from "./neighbours.ts";

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
  assert.equal(describeConflicts("jumbo", "standard", "node-1", found), "Conflict: policy jumbo conflicts with policy standard on node-1: br1.mtu is 9000 in jumbo but 1500 in standard; standard is older and wins (the oldest policy wins a conflict: by creationTimestamp, then by name), jumbo changes nothing here — change one of them");
  assert.deepEqual(conflicts(a, state("interfaces: [{name: br1, description: storage}]")), []);
});

test("the older policy wins a conflict: creationTimestamp, then name; one not created yet is the youngest", () => {
  const at = (name: string, creationTimestamp?: string) => ({ name, creationTimestamp });
  assert.equal(precedes(at("b", "2026-12-01T10:00:00Z"), at("a", "2026-12-01T10:00:01Z")), true);
  assert.equal(precedes(at("a", "2026-12-01T10:00:01Z"), at("b", "2026-12-01T10:00:00Z")), false);
  assert.equal(precedes(at("mtu-1400", "2026-12-01T10:00:00Z"), at("mtu-1410", "2026-12-01T10:00:00Z")), true, "same second: by name");
  assert.equal(precedes(at("mtu-1410", "2026-12-01T10:00:00Z"), at("mtu-1400", "2026-12-01T10:00:00Z")), false);
  assert.equal(precedes(at("z", "2026-12-01T10:00:00Z"), at("a")), true);
  const five = ["mtu-1430", "mtu-1400", "mtu-1440", "mtu-1410", "mtu-1420"].map((n) => at(n, "2026-12-01T10:00:00Z"));
  assert.deepEqual(five.sort((x, y) => (precedes(x, y) ? -1 : 1)).map((p) => p.name), ["mtu-1400", "mtu-1410", "mtu-1420", "mtu-1430", "mtu-1440"]);
});
