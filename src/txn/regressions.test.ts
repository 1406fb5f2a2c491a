/**
 * Engine bugs found while writing the backend contract, each pinned by the
 * input that showed it, on the in-memory backend (which models the kernel
 * behaviour involved; the kernel contract covers the common paths for real).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { MemoryBackend } from "../host/memory/backend.ts";
import { loadDesired } from "../state/load.ts";
import type { NetworkState } from "../state/schema/state.ts";
import { applyState } from "./transaction.ts";

function memory(t: TestContext, initial: NetworkState): MemoryBackend {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-regress-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new MemoryBackend(initial, { stateDir: dir });
}
const state = (yaml: string) => loadDesired([{ file: "t.yml", text: yaml }]).state!;
const apply = (backend: MemoryBackend, yaml: string) => applyState(backend, state(yaml), { timeoutSeconds: 3600 });
const NIC = (name: string, extra: object = {}) => ({ name, type: "ethernet" as const, state: "up" as const, ...extra });

test("a rule without priority is applied once (the kernel's priority matches an unset one)", async (t) => {
  const backend = memory(t, { interfaces: [NIC("eth1")] });
  const rule = "route-rules: {config: [{ip-from: 192.0.2.0/24, route-table: 100}]}";
  assert.equal((await apply(backend, rule)).changed, true);
  assert.equal((await apply(backend, rule)).changed, false);
  assert.equal((await backend.read()).state["route-rules"]?.config?.length, 1);
});

test("removing a primary address keeps the secondary of its subnet that stays", async (t) => {
  const backend = memory(t, { interfaces: [NIC("br0", { ipv4: { enabled: true, address: [{ ip: "192.0.2.5", "prefix-length": 24 }, { ip: "192.0.2.6", "prefix-length": 24 }] } })] });
  await apply(backend, "interfaces: [{name: br0, ipv4: {address: [{ip: 192.0.2.6, prefix-length: 24}, {ip: 192.0.2.7, prefix-length: 24}], allow-extra-address: false}}]");
  const addresses = (await backend.read()).state.interfaces![0]!.ipv4!.address!.map((a) => a.ip).sort();
  assert.deepEqual(addresses, ["192.0.2.6", "192.0.2.7"]);
});

test("two routes of one destination, table and metric are one ECMP route: applied once, and a rollback brings both nexthops back", async (t) => {
  const backend = memory(t, { interfaces: [NIC("eth1", { ipv4: { enabled: true, address: [{ ip: "192.0.2.5", "prefix-length": 24 }] } })] });
  const ecmp = "routes: {config: [{destination: 198.51.100.0/24, next-hop-address: 192.0.2.254, next-hop-interface: eth1}, {destination: 198.51.100.0/24, next-hop-address: 192.0.2.253, next-hop-interface: eth1}]}";
  assert.equal((await apply(backend, ecmp)).changed, true);
  assert.equal((await apply(backend, ecmp)).changed, false);
  const before = await backend.read();
  assert.deepEqual(before.state.routes?.config?.map((r) => r["next-hop-address"]).sort(), ["192.0.2.253", "192.0.2.254"]);
  // A third gateway displaces both, then dhcp with no server fails: the rollback must restore the ECMP route.
  await assert.rejects(apply(backend, "interfaces: [{name: eth1, ipv4: {dhcp: true}}]\nroutes: {config: [{destination: 198.51.100.0/24, next-hop-address: 192.0.2.252, next-hop-interface: eth1}]}"));
  assert.deepEqual((await backend.read()).state.routes, before.state.routes);
});

test("a route replacing another of the same destination, table and metric is undone by rollback", async (t) => {
  const backend = memory(t, {
    interfaces: [NIC("eth1", { ipv4: { enabled: true, address: [{ ip: "192.0.2.5", "prefix-length": 24 }] } })],
    routes: { config: [{ destination: "198.51.100.0/24", "next-hop-address": "192.0.2.254", "next-hop-interface": "eth1", "table-id": 254 }] },
  });
  const before = await backend.read();
  // dhcp with no server fails after the route was replaced: the rollback must bring the original back.
  await assert.rejects(apply(backend, "interfaces: [{name: eth1, ipv4: {dhcp: true}}]\nroutes: {config: [{destination: 198.51.100.0/24, next-hop-address: 192.0.2.253, next-hop-interface: eth1}]}"));
  assert.deepEqual((await backend.read()).state.routes, before.state.routes);
});

test("ipv4.forwarding on an interface without IPv4 addresses is idempotent", async (t) => {
  const backend = memory(t, { interfaces: [NIC("v1")] });
  assert.equal((await apply(backend, "interfaces: [{name: v1, ipv4: {forwarding: true}}]")).changed, true);
  assert.equal((await apply(backend, "interfaces: [{name: v1, ipv4: {forwarding: true}}]")).changed, false);
});

test("state: down keeps declared IPv6 addresses (the kernel flushes them when the link goes down)", async (t) => {
  const backend = memory(t, { interfaces: [NIC("eth1", { ipv6: { enabled: true, address: [{ ip: "2001:db8::5", "prefix-length": 64 }] } })] });
  const result = await apply(backend, 'interfaces: [{name: eth1, state: down, ipv6: {enabled: true, address: [{ip: "2001:db8::5", prefix-length: 64}]}}]');
  assert.equal(result.changed, true);
});

test("changing a bond's mode re-attaches its ports and brings it back up", async (t) => {
  const backend = memory(t, {
    interfaces: [
      NIC("eth1", { controller: "bond0" }),
      NIC("eth2", { controller: "bond0" }),
      { name: "bond0", type: "bond", state: "up", "link-aggregation": { mode: "active-backup", port: ["eth1", "eth2"] } },
    ],
  });
  await apply(backend, "interfaces: [{name: bond0, type: bond, link-aggregation: {mode: balance-rr}}]");
  const bond = (await backend.read()).state.interfaces!.find((i) => i.name === "bond0")!;
  assert.equal(bond["link-aggregation"]?.mode, "balance-rr");
  assert.deepEqual(bond["link-aggregation"]?.port, ["eth1", "eth2"]);
  assert.equal(bond.state, "up");
});
