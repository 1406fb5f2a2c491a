/** What admission finds in a policy, per node: the checks of `nodenet validate` against each selected node's state. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatPath } from "../../state/issues.ts";
import { checkPolicy, hasErrorFindings, type CheckLimits, type PolicyCheck } from "./check.ts";
import { GATEWAY_OUTSIDE, labNode, labState, MANAGEMENT_MISTAKE } from "./fixtures.ts";
import { readNodeState } from "./node-states.ts";

const LIMITS: CheckLimits = { maxStates: 100, budgetMs: 10_000 };
const nodes = [labNode(1), labNode(2), labNode(3)];
const check = (spec: Record<string, unknown>, on = nodes, limits = LIMITS) => checkPolicy({ name: "p", spec }, on, limits);
const summary = (c: PolicyCheck) => c.findings.map((f) => `${f.issue.severity} ${formatPath(f.issue.path)} [${f.nodes.join(" ")}]`);

test("a gateway outside the interface's subnet: an error at the route's next hop, on the selected node only", () => {
  const c = check({ ...GATEWAY_OUTSIDE, nodeSelector: { "kubernetes.io/hostname": "node-2" } });
  assert.deepEqual(c.selected, ["node-2"]);
  assert.deepEqual(c.checked, ["node-2"]);
  assert.deepEqual(summary(c), ["error spec.desiredState.routes.config[0].next-hop-address [node-2]"]);
  assert.match(c.findings[0]!.issue.message, /next hop 192\.0\.2\.254 is not inside any subnet of eth1 \(198\.51\.100\.20\/24\)/);
  assert.equal(c.findings[0]!.issue.source, undefined, "no file:line: a request has none");
});

test("an IPv4-mapped IPv6 address: one error naming every node", () => {
  const c = check({ desiredState: { interfaces: [{ name: "eth1", type: "ethernet", ipv6: { enabled: true, address: [{ ip: "::ffff:192.0.2.1", "prefix-length": 120 }] } }] } });
  assert.deepEqual(summary(c), ["error spec.desiredState.interfaces[0].ipv6.address[0].ip [node-1 node-2 node-3]"]);
  assert.match(c.findings[0]!.issue.message, /IPv4-mapped/);
});

test("captures run on each node: matching nothing where a template needs it is an error on that node", () => {
  const on = [labNode(1, labState(1, [{ name: "nn-capture", type: "linux-bridge", state: "up" }])), labNode(2), labNode(3, labState(3, [{ name: "nn-capture", type: "linux-bridge", state: "up" }]))];
  const c = check({ capture: { port: 'interfaces.name=="nn-capture"' }, desiredState: { interfaces: [{ name: "{{ capture.port.interfaces.0.name }}", type: "linux-bridge", state: "up" }] } }, on);
  assert.deepEqual(summary(c), ["error spec.capture.port [node-2]"]);
  assert.match(c.findings[0]!.issue.message, /capture 'port' matched no interfaces/);
  assert.equal(c.usesCapture, true);
  assert.deepEqual(c.checked, ["node-1", "node-2", "node-3"]);
});

test("a capture nothing needs may match nothing; captured values are validated like any other", () => {
  const unused = check({ capture: { none: 'interfaces.name=="nope"' }, desiredState: { interfaces: [{ name: "eth1", type: "ethernet", state: "up" }] } });
  assert.equal(hasErrorFindings(unused), false);
  const gateway = check({
    capture: { gw: 'routes.running.destination=="0.0.0.0/0"' },
    desiredState: { routes: { config: [{ destination: "203.0.113.0/24", "next-hop-address": "{{ capture.gw.routes.running.0.next-hop-address }}", "next-hop-interface": "eth1" }] } },
  });
  assert.deepEqual(summary(gateway), ["error spec.desiredState.routes.config[0].next-hop-address [node-1 node-2 node-3]"]);
});

test("parse problems of a policy without captures do not depend on a node: reported once, without nodes", () => {
  const c = check({ desiredState: { interfaces: [{ name: "ovs0", type: "ovs-bridge", state: "up" }, { name: "eth1", type: "ethernet", ipv4: { adress: [] } }] } });
  assert.deepEqual(summary(c), ["error spec.desiredState.interfaces[0].type []", "error spec.desiredState.interfaces[1].ipv4.adress []"]);
  assert.equal(c.findings[0]!.issue.kind, "unsupported");
  assert.match(c.findings[1]!.issue.hint ?? c.findings[1]!.issue.message, /address/);
});

test("semantic problems are still found when part of the document does not parse (every problem at once, as validate)", () => {
  const c = check({ desiredState: { interfaces: [{ name: "eth1", type: "ethernet", mtuu: 9000, ipv6: { enabled: true, address: [{ ip: "::192.0.2.1", "prefix-length": 64 }] } }] } });
  assert.deepEqual(summary(c), ["error spec.desiredState.interfaces[0].mtuu []", "error spec.desiredState.interfaces[0].ipv6.address[0].ip [node-1 node-2 node-3]"]);
});

test("the management-interface mistake is a warning, not an error", () => {
  const c = check(MANAGEMENT_MISTAKE);
  assert.equal(hasErrorFindings(c), false);
  assert.deepEqual(summary(c), ["warning spec.desiredState.interfaces[0] [node-1 node-2 node-3]"]);
  assert.match(c.findings[0]!.issue.hint ?? "", /give br0 the address configuration/);
});

test("interfaces another policy may create are warnings (with a did-you-mean), and the errors about them are left out", () => {
  const c = check({
    desiredState: {
      interfaces: [
        { name: "br-dep", type: "linux-bridge", state: "up", bridge: { port: [{ name: "vd" }] } },
        { name: "v10", type: "vlan", state: "up", vlan: { "base-iface": "bond0", id: 10 } },
        { name: "eht1", mtu: 1400 },
      ],
      routes: { config: [{ destination: "203.0.113.0/24", "next-hop-address": "198.51.100.254", "next-hop-interface": "bond0" }] },
    },
  });
  assert.equal(hasErrorFindings(c), false, summary(c).join("; "));
  assert.deepEqual(summary(c).sort(), [
    "warning spec.desiredState.interfaces[0].bridge.port[0].name [node-1 node-2 node-3]",
    "warning spec.desiredState.interfaces[1].vlan.base-iface [node-1 node-2 node-3]",
    "warning spec.desiredState.interfaces[2].name [node-1 node-2 node-3]",
  ]);
  const typo = c.findings.find((f) => f.issue.path.includes(2))!;
  assert.match(typo.issue.message, /eht1 does not exist on the node and this policy does not create it/);
  assert.equal(typo.issue.hint, "did you mean eth1?");
});

test("a node without the interface a typed ethernet entry names is still an error there", () => {
  const c = check({ desiredState: { interfaces: [{ name: "eth1", type: "ethernet", state: "up", mtu: 1400 }] } }, [labNode(1), labNode(2, { interfaces: [], routes: { running: [] } })]);
  assert.deepEqual(summary(c), ["error spec.desiredState.interfaces[0].name [node-2]"]);
});

test("nodes: selected by label equality, without a NodeNetworkState skipped, unreadable ones skipped with why", () => {
  const on = [labNode(1, labState(1), { role: "edge" }), labNode(2, null, { role: "edge" }), labNode(3, labState(3)), { name: "node-4", labels: { role: "edge" }, state: { readable: false as const, reason: "it does not parse" } }];
  const c = check({ ...GATEWAY_OUTSIDE, nodeSelector: { role: "edge" } }, on);
  assert.deepEqual(c.selected, ["node-1", "node-2", "node-4"]);
  assert.deepEqual(c.checked, ["node-1"]);
  assert.deepEqual(c.unreported, ["node-2"]);
  assert.deepEqual(c.unreadable, [{ node: "node-4", reason: "it does not parse" }]);
  assert.deepEqual(summary(c), ["error spec.desiredState.routes.config[0].next-hop-address [node-1]"]);
});

test("identical node states are checked once and every node is named", () => {
  const same = labState(1);
  let clock = 0;
  const c = checkPolicy({ name: "p", spec: GATEWAY_OUTSIDE }, [labNode(1, same), { ...labNode(2, same) }, labNode(3)], { maxStates: 100, budgetMs: 1_000, now: () => clock++ });
  assert.equal(clock, 3, "the clock is read once at the start and once per distinct state");
  assert.deepEqual(c.findings[0]!.nodes, ["node-1", "node-2", "node-3"]);
});

test("the work is bounded: at most maxStates distinct states, and none started after the budget", () => {
  const many = Array.from({ length: 12 }, (_, i) => labNode(i + 1, labState(i + 1)));
  const capped = check(GATEWAY_OUTSIDE, many, { maxStates: 5, budgetMs: 10_000 });
  assert.deepEqual(capped.checked, ["node-1", "node-2", "node-3", "node-4", "node-5"], "in natural name order");
  assert.equal(capped.unchecked.length, 7);
  let clock = 0;
  const timed = check(GATEWAY_OUTSIDE, many, { maxStates: 100, budgetMs: 2, now: () => clock++ });
  assert.deepEqual(timed.checked, ["node-1", "node-2"]);
  assert.equal(timed.unchecked.length, 10);
});

test("a policy without desiredState changes nothing: no error, and it says so", () => {
  const c = check({ nodeSelector: { "kubernetes.io/hostname": "node-1" } });
  assert.equal(c.empty, true);
  assert.deepEqual(c.findings, []);
});

test("a NodeNetworkState is read once into what a check needs; one that does not parse is unreadable, with why", () => {
  const keyOf = (state: ReturnType<typeof readNodeState>) => (state?.readable ? state.key : undefined);
  const good = readNodeState(labState(1));
  assert.ok(good?.readable);
  assert.equal(good.parsed.interfaces?.length, 2);
  assert.equal(keyOf(good), keyOf(readNodeState(labState(1))), "equal states, equal keys");
  assert.notEqual(keyOf(good), keyOf(readNodeState(labState(2))));
  assert.equal(readNodeState(undefined), undefined, "no state reported yet");
  assert.deepEqual(readNodeState([]), { readable: false, reason: "status.currentState is not an object" });
  const garbled = readNodeState({ interfaces: "eth0" });
  assert.equal(garbled?.readable, false);
  assert.match(garbled?.readable === false ? garbled.reason : "", /interfaces/);
});
