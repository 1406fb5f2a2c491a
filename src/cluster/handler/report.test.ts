import assert from "node:assert/strict";
import { test } from "node:test";
import type { NetworkState } from "../../state/schema/state.ts";
import { reportState } from "./report.ts";

const host = (extra = 0): NetworkState => ({
  interfaces: [
    { name: "eth0", type: "ethernet", state: "up", ipv4: { enabled: true, address: [{ ip: "192.0.2.10", "prefix-length": 24 }] } },
    { name: "veth1234", type: "ethernet", state: "up" },
    ...Array.from({ length: extra }, (_, i) => ({ name: `br${i}`, type: "linux-bridge" as const, state: "up" as const, bridge: { options: { "mac-ageing-time": 300, "hash-max": 4096 }, port: [] } })),
  ],
  routes: {
    running: [
      { destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth0", "table-id": 254 },
      { destination: "203.0.113.0/24", "next-hop-interface": "veth1234", "table-id": 254 },
      { destination: "198.51.100.0/24", "next-hop-interface": "eth0", "table-id": 100 },
    ],
    config: [],
  },
});

test("container veths and their routes are left out", () => {
  const report = reportState(host());
  assert.deepEqual(report.state.interfaces!.map((i) => i.name), ["eth0"]);
  assert.deepEqual(report.state.routes!.running!.map((r) => r.destination), ["0.0.0.0/0", "198.51.100.0/24"]);
  assert.equal(report.truncated, undefined);
});

test("the digest changes with the state and only with it", () => {
  assert.equal(reportState(host()).digest, reportState(host()).digest);
  const changed = host();
  changed.interfaces![0]!.mtu = 9000;
  assert.notEqual(reportState(changed).digest, reportState(host()).digest);
  const onlyVeth = host();
  onlyVeth.interfaces![1]!.mtu = 9000;
  assert.equal(reportState(onlyVeth).digest, reportState(host()).digest, "changes to excluded interfaces are not news");
});

test("a state over the budget is summarised, not dropped, and says so", () => {
  const report = reportState(host(50), { budgetBytes: 2000 });
  assert.ok(report.truncated);
  assert.match(report.truncated.reason, /over the 2000-byte budget/);
  assert.equal(report.state.interfaces!.length, 51);
  assert.equal(report.state.interfaces![1]!.bridge, undefined);
  assert.deepEqual(report.state.routes!.running!.map((r) => r.destination), ["0.0.0.0/0"]);
});
