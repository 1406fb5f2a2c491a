import assert from "node:assert/strict";
import { test } from "node:test";
import { diffStates } from "../diff.ts";
import { loadDesired } from "../load.ts";
import { mergeStates } from "../merge/index.ts";
import type { NetworkState } from "../schema/state.ts";
import { plan } from "./index.ts";
import { planIpv4Order } from "./ipv4-order.ts";

const list = (...texts: string[]) => texts.map((t) => ({ ip: t.split("/")[0]!, "prefix-length": Number(t.split("/")[1]) }));
const texts = (r: { remove: { ip: string; "prefix-length": number }[]; add: { ip: string; "prefix-length": number }[] }) => ({
  remove: r.remove.map((a) => `${a.ip}/${a["prefix-length"]}`),
  add: r.add.map((a) => `${a.ip}/${a["prefix-length"]}`),
});

test("the kernel's order already equal to the declared one: nothing to do, whatever the subnets", () => {
  for (const exact of [false, true]) {
    assert.deepEqual(texts(planIpv4Order(list("192.0.2.35/28", "192.0.2.36/28"), list("192.0.2.35/28", "192.0.2.36/28"), { exact })), { remove: [], add: [] });
    // the kernel lists primaries first: [.36, 198…1, .37] is held as .36, 198…1 (primaries), .37 (secondary)
    assert.deepEqual(texts(planIpv4Order(list("192.0.2.36/28", "198.51.100.1/28", "192.0.2.37/28"), list("192.0.2.36/28", "198.51.100.1/28", "192.0.2.37/28"), { exact })), { remove: [], add: [] });
  }
});

test("a changed primary: the subnet's addresses go (secondaries first) and come back in declared order", () => {
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.35/28", "192.0.2.36/28"), list("192.0.2.38/28", "192.0.2.36/28"))), {
    remove: ["192.0.2.36/28", "192.0.2.35/28"],
    add: ["192.0.2.38/28", "192.0.2.36/28"],
  });
  // the swap back (a rollback): the same two addresses, the other first
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.38/28", "192.0.2.36/28"), list("192.0.2.36/28", "192.0.2.38/28"))), {
    remove: ["192.0.2.36/28", "192.0.2.38/28"],
    add: ["192.0.2.36/28", "192.0.2.38/28"],
  });
});

test("a kept primary keeps its place; a secondary inserted before another makes the later one come back after it", () => {
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.36/28", "192.0.2.38/28"), list("192.0.2.36/28", "192.0.2.37/28", "192.0.2.38/28"))), {
    remove: ["192.0.2.38/28"],
    add: ["192.0.2.37/28", "192.0.2.38/28"],
  });
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.36/28"), list("192.0.2.36/28", "192.0.2.37/28"))), { remove: [], add: ["192.0.2.37/28"] });
});

test("subnets listed in another order: no change; a new subnet's primary comes after the kept ones", () => {
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.36/28", "198.51.100.1/28"), list("198.51.100.1/28", "192.0.2.36/28"))), { remove: [], add: [] });
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.36/28"), list("198.51.100.1/28", "192.0.2.36/28"))), { remove: [], add: ["198.51.100.1/28"] });
});

test("exact (a rollback): another subnet's primary that was first comes first again, the later one re-added after it", () => {
  // the kernel puts a new primary after every existing one, so 198…1 can only come first again if .36 goes too
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.36/28"), list("198.51.100.1/28", "192.0.2.36/28"), { exact: true })), {
    remove: ["192.0.2.36/28"],
    add: ["198.51.100.1/28", "192.0.2.36/28"],
  });
});

test("a repeated address counts once, at its first place", () => {
  assert.deepEqual(texts(planIpv4Order(list("192.0.2.35/28", "192.0.2.36/28"), list("192.0.2.35/28", "192.0.2.36/28", "192.0.2.35/28"))), { remove: [], add: [] });
});

test("diff shows a change of a subnet's order (what apply re-creates) and none for subnets listed the other way round", () => {
  const iface = (...addresses: string[]) =>
    loadDesired([{ file: "s.yml", text: `interfaces: [{name: e0, type: ethernet, state: up, ipv4: {enabled: true, address: [${addresses.map((a) => `{ip: ${a.split("/")[0]}, prefix-length: ${a.split("/")[1]}}`).join(", ")}]}}]` }]).state!;
  const ips = (list: unknown) => (list as { ip: string }[]).map((a) => a.ip).join(",");
  const changes = (from: NetworkState, to: NetworkState) => {
    const merged = mergeStates(to, from);
    return { diff: diffStates(merged).interfaces.flatMap((i) => i.changes.map((c) => `${c.path}: ${ips(c.from)} → ${ips(c.to)}`)), operations: plan(merged).length };
  };
  assert.deepEqual(changes(iface("192.0.2.38/28", "192.0.2.36/28"), iface("192.0.2.36/28", "192.0.2.38/28")), {
    diff: ["ipv4.address: 192.0.2.38,192.0.2.36 → 192.0.2.36,192.0.2.38"],
    operations: 4,
  });
  assert.deepEqual(changes(iface("192.0.2.36/28", "198.51.100.1/28"), iface("198.51.100.1/28", "192.0.2.36/28")), { diff: [], operations: 0 });
});
