import assert from "node:assert/strict";
import { test } from "node:test";
import { planBoot } from "./boot-plan.ts";
import { mergeRecord } from "./record.ts";
import type { NetworkState } from "./schema/state.ts";

const v4 = (ip: string) => ({ enabled: true, address: [{ ip, "prefix-length": 24 }] });

test("the record accumulates partial declarations and forgets what is declared absent", () => {
  let record: NetworkState = {};
  record = mergeRecord(record, { interfaces: [{ name: "eth0", type: "ethernet", ipv4: { enabled: true, dhcp: true } }] });
  record = mergeRecord(record, { interfaces: [{ name: "br0", type: "linux-bridge", bridge: { port: [{ name: "eth0" }, { name: "eth2" }] }, ipv4: { enabled: true, dhcp: true } }] });
  assert.equal(record.interfaces?.find((i) => i.name === "eth0")?.ipv4, undefined, "a bridge port keeps no IP section");
  record = mergeRecord(record, { interfaces: [{ name: "br0", mtu: 9000 }], routes: { config: [{ destination: "203.0.113.0/24", "next-hop-interface": "br0", "next-hop-address": "192.0.2.1" }] } });
  const br0 = record.interfaces?.find((i) => i.name === "br0");
  assert.equal(br0?.mtu, 9000);
  assert.equal(br0?.ipv4?.dhcp, true, "earlier keys stay");
  record = mergeRecord(record, { routes: { config: [{ destination: "198.51.100.0/24", "next-hop-interface": "br0" }] } });
  assert.equal(record.routes?.config?.length, 2, "routes are additive");
  record = mergeRecord(record, { routes: { config: [{ destination: "198.51.100.0/24", state: "absent" }] } });
  assert.deepEqual(record.routes?.config?.map((r) => r.destination), ["203.0.113.0/24"]);
  record = mergeRecord(record, { interfaces: [{ name: "eth2", state: "absent" }] });
  assert.deepEqual(record.interfaces?.find((i) => i.name === "br0")?.bridge?.port?.map((p) => p.name), ["eth0"], "an absent port leaves the port list");
  record = mergeRecord(record, { interfaces: [{ name: "br0", type: "linux-bridge", state: "absent" }] });
  assert.deepEqual(record.interfaces?.map((i) => i.name), ["eth0"]);
  assert.equal(record.routes, undefined, "routes through a removed interface go with it");
  assert.equal(JSON.stringify(record).includes('"state"'), false, "no apply-time states in the record");
});

test("boot plan: management first with DNS, a missing NIC and what stands on it left out", () => {
  const record: NetworkState = {
    interfaces: [
      { name: "br1", type: "linux-bridge", bridge: { port: [{ name: "eth1" }, { name: "eth9" }] }, ipv4: v4("198.51.100.2") },
      { name: "eth9.5", type: "vlan", vlan: { "base-iface": "eth9", id: 5 } },
      { name: "br0", type: "linux-bridge", bridge: { port: [{ name: "eth0" }] }, ipv4: { enabled: true, dhcp: true } },
      { name: "eth9", type: "ethernet", mtu: 9000 },
    ],
    routes: { config: [{ destination: "0.0.0.0/0", "next-hop-interface": "br0", "next-hop-address": "192.0.2.1" }, { destination: "203.0.113.0/24", "next-hop-interface": "eth9.5" }] },
    "dns-resolver": { config: { server: ["192.0.2.53"] } },
  };
  const plan = planBoot(record, new Set(["lo", "eth0", "eth1"]));
  assert.deepEqual(plan.missing.map((m) => m.name), ["eth9", "eth9.5", "eth9.5"]);
  assert.deepEqual(plan.parts.map((p) => p.label), ["management: br0", "br1"]);
  assert.ok(plan.parts[0]!.state["dns-resolver"]);
  assert.deepEqual(plan.parts[1]!.state.interfaces?.[0]?.bridge?.port?.map((p) => p.name), ["eth1"]);
  const byDhcp = planBoot({ interfaces: [record.interfaces![0]!, record.interfaces![2]!] }, new Set(["eth0", "eth1"]));
  assert.deepEqual(byDhcp.parts.map((p) => p.label), ["management: br0", "br1"], "the interface that learns the gateway by DHCP is management");
});
