/** Admission of policies with address pools and node templates: refused naming the field, or validated as each node would render them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIssue, formatPath } from "../../state/issues.ts";
import { checkPolicy, hasErrorFindings, type PolicyCheck } from "./check.ts";
import { labNode } from "./fixtures.ts";

const nodes = [labNode(1, undefined, { rack: "r1" }), labNode(2, undefined, { rack: "r2" }), labNode(3)];
const check = (spec: Record<string, unknown>, on = nodes) => checkPolicy({ name: "p", spec }, on, { maxStates: 100, budgetMs: 10_000 });
const errors = (c: PolicyCheck) => c.findings.filter((f) => f.issue.severity === "error").map((f) => `${formatIssue(f.issue)} [${f.nodes.join(" ")}]`);

const storage = (pool: Record<string, unknown>, address: Record<string, unknown> = { ip: "{{ pool.storage }}", "prefix-length": "{{ pool.storage.prefix-length }}" }, extra: Record<string, unknown> = {}) => ({
  revertOnDelete: true,
  addressPools: { storage: pool },
  desiredState: { interfaces: [{ name: "br-st", type: "linux-bridge", state: "up", ipv4: { enabled: true, address: [address] }, bridge: { options: { stp: { enabled: false } }, port: [{ name: "eth1" }] }, ...extra }] },
});

test("a good pool policy passes: templates are filled in and the result validated on every node", () => {
  const c = check(storage({ cidr: "198.51.100.0/29", gateway: "198.51.100.1" }));
  assert.deepEqual(errors(c), []);
  assert.deepEqual(c.checked, ["node-1", "node-2", "node-3"]);
  assert.deepEqual(c.findings.map((f) => formatPath(f.issue.path)), [], "no warnings either");
});

test("a gateway outside the pool is refused at spec.addressPools.NAME.gateway", () => {
  assert.deepEqual(errors(check(storage({ cidr: "198.51.100.0/29", gateway: "198.51.100.9" }))), [
    "error: spec.addressPools.storage.gateway: gateway 198.51.100.9 is outside the pool 198.51.100.0/29 (nodes get addresses in 198.51.100.0/29 and could not reach it; use a gateway inside it) []",
  ]);
});

test("a pool too small for the selected nodes is refused at its cidr, saying how many it has", () => {
  const c = check(storage({ cidr: "198.51.100.0/30", gateway: "198.51.100.1" }));
  assert.deepEqual(errors(c), [
    "error: spec.addressPools.storage.cidr: address pool storage is too small for the 3 nodes the policy selects: it has 1 address for nodes in 198.51.100.0/30 (without the network and broadcast addresses, the gateway 198.51.100.1) (use a larger CIDR, fewer exclusions, or a narrower nodeSelector) []",
  ]);
  assert.equal(hasErrorFindings(check({ ...storage({ cidr: "198.51.100.0/30", gateway: "198.51.100.1" }), nodeSelector: { rack: "r1" } })), false, "enough for the one node it selects");
});

test("a pool that does not fit the interface is refused: a longer prefix-length, the wrong family", () => {
  assert.deepEqual(errors(check(storage({ cidr: "198.51.100.0/28" }, { ip: "{{ pool.storage }}", "prefix-length": 29 }))), [
    'error: spec.desiredState.interfaces[0].ipv4.address[0].prefix-length: address pool storage (198.51.100.0/28) does not fit a /29 subnet: nodes would get addresses in different /29 subnets (use prefix-length 28 or shorter, or "{{ pool.storage.prefix-length }}") []',
  ]);
  const v6 = { ...storage({ cidr: "2001:db8:9::/64" }) };
  assert.match(errors(check(v6))[0]!, /^error: spec\.desiredState\.interfaces\[0\]\.ipv4\.address\[0\]\.ip: address pool storage \(2001:db8:9::\/64\) is IPv6 but this is an ipv4 address/);
  assert.match(errors(check(storage({ cidr: "198.51.100.0/29" }, { ip: "{{ pool.storge }}", "prefix-length": 29 })))[0]!, /^error: spec\.desiredState\.interfaces\[0\]\.ipv4\.address\[0\]\.ip: unknown address pool 'storge' \(did you mean 'storage'\?\)/);
});

test("node templates render per node: a missing label is an error on that node only; no revertOnDelete is a warning", () => {
  const spec = { ...storage({ cidr: "198.51.100.0/29", gateway: "198.51.100.1" }, undefined, { description: 'rack {{ node.labels["rack"] }}' }), revertOnDelete: false };
  const c = check(spec);
  assert.deepEqual(errors(c), ['error: spec.desiredState.interfaces[0].description: node node-3 has no label "rack" (set it: kubectl label node node-3 rack=VALUE) [node-3]']);
  assert.deepEqual(c.checked, ["node-1", "node-2"]);
  assert.ok(c.findings.some((f) => f.issue.severity === "warning" && formatPath(f.issue.path) === "spec.revertOnDelete"));
});

test("an upstream policy (no pools, no templates) is checked exactly as before", () => {
  const c = check({ desiredState: { interfaces: [{ name: "br1", type: "linux-bridge", state: "up", ipv4: { enabled: true, address: [{ ip: "198.51.100.40", "prefix-length": 24 }] }, bridge: { port: [{ name: "eth1" }] } }] } });
  assert.deepEqual(errors(c), []);
  assert.deepEqual(c.findings, []);
});
