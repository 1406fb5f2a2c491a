import assert from "node:assert/strict";
import { test } from "node:test";
import type { Enactment } from "../cluster/api/enactment.ts";
import type { NodeState } from "../cluster/api/node-state.ts";
import type { Policy } from "../cluster/api/policy.ts";
import { labState } from "../cluster/admission/fixtures.ts";
import { enactmentConditions, type EnactmentPhase } from "../cluster/handler/enactment-conditions.ts";
import type { Node } from "../cluster/kube/nodes.ts";
import { previewPolicy } from "./preview.ts";
import { nodeTopology } from "./topology.ts";
import { clusterView, type DashboardEvent } from "./view.ts";

const node = (n: number, labels: Record<string, string> = {}): Node => ({
  metadata: { name: `node-${n}`, labels: { "kubernetes.io/hostname": `node-${n}`, ...labels } },
  status: { conditions: [{ type: "Ready", status: "True" }] },
});
const state = (n: number, currentState: Record<string, unknown> = labState(n)): NodeState => ({ metadata: { name: `node-${n}`, resourceVersion: `${n}0` }, status: { currentState } });
const enactment = (n: number, policy: string, phase: EnactmentPhase["phase"], message = "", desiredState?: Record<string, unknown>, generation = 1): Enactment => ({
  metadata: { name: `node-${n}.${policy}`, resourceVersion: `${n}00`, labels: { "nmstate.io/node": `node-${n}`, "nmstate.io/policy": policy } },
  status: { policyGeneration: generation, conditions: enactmentConditions([], { phase, message }), ...(desiredState ? { desiredState } : {}) },
});
const policy = (name: string, spec: Policy["spec"] = {}, generation = 1): Policy => ({ metadata: { name, generation }, spec });
const event = (regarding: string, reason: string, action: string, time: string): DashboardEvent => ({ name: `${regarding}.x${time}`, type: "Warning", reason, action, note: `${reason} on ${regarding}`, time, count: 1, regarding: { kind: "NodeNetworkConfigurationEnactment", name: regarding } });

test("rollout tiles: one per selected node, its phase, reason, message and resourceVersion; Pending without an enactment", () => {
  const view = clusterView({
    nodes: [node(1), node(2), node(3), node(4, { role: "other" })],
    states: [state(1), state(2), state(3), state(4)],
    policies: [policy("br", { nodeSelector: { "kubernetes.io/hostname": "node-1" } }), policy("all", {}, 2)],
    enactments: [enactment(1, "br", "Failing", "default gateway lost; rolled back"), enactment(1, "all", "Available", "", undefined, 2), enactment(2, "all", "Aborted", "", undefined, 2), enactment(3, "all", "Available", "", undefined, 1)],
    events: [event("node-1.br", "FailedToConfigure", "Rollback", "2026-12-02T10:00:01Z"), event("node-2.all", "ConfigurationAborted", "Apply", "2026-12-02T10:00:00Z"), event("node-9.gone", "Reverted", "Revert", "2026-12-02T10:00:00Z")],
  });
  const br = view.policies.find((p) => p.name === "br")!;
  assert.deepEqual(br.tiles.map((t) => [t.node, t.phase, t.reason, t.message, t.resourceVersion]), [["node-1", "Failing", "FailedToConfigure", "default gateway lost; rolled back", "100"]]);
  assert.deepEqual(br.events.map((e) => e.reason), ["FailedToConfigure"]);
  const all = view.policies.find((p) => p.name === "all")!;
  assert.deepEqual(all.tiles.map((t) => [t.node, t.phase, t.stale]), [["node-1", "Available", false], ["node-2", "Aborted", false], ["node-3", "Available", true], ["node-4", "Pending", false]]);
  assert.equal(all.tiles[3]!.reason, "NoEnactment");
  assert.deepEqual(all.counts, { matching: 4, ready: 4, available: 1, failing: 0, aborted: 1, pending: 0, progressing: 0 }, "counted as the controller counts (node-3's enactment is of an older generation)");
  assert.deepEqual(view.nodes.find((n) => n.name === "node-1")!.policies.map((p) => [p.policy, p.phase]), [["all", "Available"], ["br", "Failing"]]);
});

test("node topology: ports to controllers, VLANs to their base, addresses, default route, DNS and which policy declared what", () => {
  const current = {
    interfaces: [
      { name: "lo", type: "loopback" },
      { name: "eth0", type: "ethernet", state: "up", controller: "bond0" },
      { name: "eth1", type: "ethernet", state: "up", controller: "bond0" },
      { name: "bond0", type: "bond", state: "up", "link-aggregation": { mode: "active-backup", port: ["eth0", "eth1"] }, ipv4: { enabled: true, dhcp: true, address: [{ ip: "192.0.2.10", "prefix-length": 24 }] } },
      { name: "bond0.10", type: "vlan", state: "up", vlan: { "base-iface": "bond0", id: 10 }, controller: "br10" },
      { name: "br10", type: "linux-bridge", state: "up", bridge: { port: [{ name: "bond0.10" }] }, ipv6: { enabled: true, address: [{ ip: "2001:db8::1", "prefix-length": 64 }] } },
      { name: "blue", type: "vrf", state: "up", vrf: { "route-table-id": 100, port: ["br10"] } },
    ],
    routes: { running: [{ destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "bond0", "table-id": 254 }, { destination: "0.0.0.0/0", "next-hop-address": "198.51.100.1", "next-hop-interface": "br10", "table-id": 100 }] },
    "dns-resolver": { running: { server: ["192.0.2.53"], search: ["example.org"] } },
  };
  const bond = enactment(1, "bond", "Available", "", { interfaces: [{ name: "bond0" }, { name: "eth0" }, { name: "eth1" }], routes: { config: [{ destination: "0.0.0.0/0", "next-hop-interface": "bond0" }] } });
  const failed = enactment(1, "broken", "Failing", "", { interfaces: [{ name: "br10" }], "dns-resolver": { config: { server: ["192.0.2.53"] } } });
  const dns = enactment(1, "dns", "Available", "", { "dns-resolver": { config: { server: ["192.0.2.53"] } } });
  const other = enactment(2, "elsewhere", "Available", "", { interfaces: [{ name: "br10" }] });
  const topology = nodeTopology("node-1", state(1, current), [bond, failed, dns, other]);
  assert.deepEqual(topology.interfaces.map((i) => i.name), ["blue", "bond0", "bond0.10", "br10", "eth0", "eth1"], "loopback left out");
  assert.deepEqual(topology.edges.map((e) => `${e.from}→${e.to} ${e.kind}`).sort(), ["bond0.10→bond0 base", "bond0.10→br10 port", "br10→blue port", "eth0→bond0 port", "eth1→bond0 port"]);
  const byName = Object.fromEntries(topology.interfaces.map((i) => [i.name, i]));
  assert.deepEqual(byName.bond0!.addresses, ["192.0.2.10/24"]);
  assert.equal(byName.bond0!.dhcp, true);
  assert.equal(byName.bond0!.detail, "bond mode active-backup");
  assert.equal(byName["bond0.10"]!.detail, "vlan 10 on bond0");
  assert.equal(byName.blue!.detail, "vrf table 100");
  assert.deepEqual(byName.br10!.addresses, ["2001:db8::1/64"]);
  assert.deepEqual(byName.bond0!.declaredBy, ["bond"]);
  assert.deepEqual(byName.br10!.declaredBy, [], "a failed enactment and another node's declare nothing here");
  assert.deepEqual(topology.defaultRoutes, [{ destination: "0.0.0.0/0", gateway: "192.0.2.1", iface: "bond0", declaredBy: ["bond"] }], "only the main table's default route");
  assert.deepEqual(topology.dns, { servers: ["192.0.2.53"], search: ["example.org"], declaredBy: ["dns"] });
});

test("preview: per selected node the CLI's diff, or the CLI's issues naming the field; nodes without a state said so", () => {
  const bridge = (selector: string, extra = "") => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: p}
spec:
  nodeSelector: ${selector}
  desiredState:
    interfaces:
    - {name: br1, type: linux-bridge, state: up, bridge: {port: [{name: eth1}]}, ipv4: {enabled: true, address: [{ip: 198.51.100.10, prefix-length: 24}]}}
${extra}`;
  const nodes = [node(1), node(2), node(3)];
  const states = [state(1), state(2)];
  const one = previewPolicy(bridge("{kubernetes.io/hostname: node-1}"), nodes, states);
  assert.deepEqual(one.nodes.map((n) => n.node), ["node-1"]);
  const [first] = one.nodes;
  assert.equal(first!.outcome, "diff");
  assert.match(first!.outcome === "diff" ? first!.diff : "", /^\+ interface br1 \[linux-bridge\]: created/m);
  assert.match(first!.outcome === "diff" ? first!.diff : "", /~ interface eth1 \[ethernet\]: changed \(port of br1\)/);
  const every = previewPolicy(bridge("{}", "    routes:\n      config:\n      - {destination: 203.0.113.0/24, next-hop-address: 192.0.2.77, next-hop-interface: br1}\n"), nodes, states);
  assert.deepEqual(every.nodes.map((n) => [n.node, n.outcome]), [["node-1", "invalid"], ["node-2", "invalid"], ["node-3", "no-state"]]);
  const issues = every.nodes[0]!.outcome === "invalid" ? every.nodes[0]!.issues.map((i) => i.text) : [];
  assert.ok(issues.some((i) => /routes\.config\[0\]\.next-hop-address: next hop 192\.0\.2\.77 is not inside any subnet of br1/.test(i)), issues.join("\n"));
  assert.deepEqual(previewPolicy("interfaces: [{name: eth1, mtuu: 9000}]", nodes, states).nodes.map((n) => n.outcome), ["invalid", "invalid", "no-state"], "a bare nmstate state goes to every node; an unknown key is refused");
  assert.match(previewPolicy("kind: [", nodes, states).issues[0]!.text, /does not parse/);
  assert.deepEqual(previewPolicy(bridge("{role: none}"), nodes, states).issues.map((i) => i.text), ["the policy selects no node"]);
});
