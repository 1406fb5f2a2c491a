/** How a policy check reads at `kubectl apply`: the denial message and the warnings. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { invalid, unsupported, warning } from "../../state/issues.ts";
import type { Finding, PolicyCheck } from "./check.ts";
import { admissionWarnings, denialMessage, describeNodes, findingLine, fitWarning, MAX_MESSAGE_CHARS, WARNING_CHARS, WARNINGS_TOTAL_CHARS } from "./message.ts";

const checkOf = (findings: Finding[], extra: Partial<PolicyCheck> = {}): PolicyCheck => ({
  findings,
  selected: ["node-1", "node-2", "node-3"],
  checked: ["node-1", "node-2", "node-3"],
  unreported: [],
  unreadable: [],
  unchecked: [],
  empty: false,
  usesCapture: false,
  ...extra,
});

test("node lists read as prose and stay short", () => {
  assert.equal(describeNodes([]), "");
  assert.equal(describeNodes(["node-1"]), "node-1");
  assert.equal(describeNodes(["node-1", "node-2"]), "node-1 and node-2");
  assert.equal(describeNodes(["a", "b", "c", "d", "e"]), "a, b, c, d and e");
  assert.equal(describeNodes(Array.from({ length: 300 }, (_, i) => `node-${i + 1}`)), "node-1, node-2, node-3, node-4, node-5 and 295 more");
});

test("a problem reads as `nodenet validate` prints it, with the nodes after its first line", () => {
  const path = ["spec", "desiredState", "interfaces", 0, "ipv4", "address", 0, "ip"];
  assert.equal(findingLine({ issue: invalid(path, "bad", "fix it"), nodes: ["node-2"] }), "error: spec.desiredState.interfaces[0].ipv4.address[0].ip: bad (fix it) (on node-2)");
  assert.equal(findingLine({ issue: unsupported(["spec", "desiredState", "interfaces", 0, "type"], "no OVS"), nodes: [] }), "unsupported: spec.desiredState.interfaces[0].type: no OVS");
  const capture = invalid(["spec", "capture", "port"], "desiredState.interfaces[0].name: matched nothing at 3\n    {{ x }}\n       ^");
  assert.equal(findingLine({ issue: capture, nodes: ["node-2"] }), "error: spec.capture.port: desiredState.interfaces[0].name: matched nothing at 3 (on node-2)\n    {{ x }}\n       ^");
});

test("the denial says which nodes it would break, how many errors, and what was checked", () => {
  const findings = [
    { issue: invalid(["spec", "desiredState", "routes", "config", 0, "next-hop-address"], "outside"), nodes: ["node-2"] },
    { issue: invalid(["spec", "desiredState", "interfaces", 1, "mtu"], "too big"), nodes: ["node-2", "node-3"] },
    { issue: warning(["spec", "desiredState", "interfaces", 0], "careful"), nodes: ["node-1"] },
  ];
  assert.equal(
    denialMessage("p", checkOf(findings)),
    [
      "policy p would break node-2 and node-3 (2 errors; nothing was applied; checked against the current state of node-1, node-2 and node-3):",
      "error: spec.desiredState.routes.config[0].next-hop-address: outside (on node-2)",
      "error: spec.desiredState.interfaces[1].mtu: too big (on node-2 and node-3)",
    ].join("\n"),
  );
  const independent = denialMessage("q", checkOf([{ issue: invalid(["spec", "desiredState", "x"], "unknown key") }].map((f) => ({ ...f, nodes: [] })), { checked: ["node-1"] }));
  assert.equal(independent.split("\n")[0], "policy q is invalid (1 error; nothing was applied; checked against the current state of node-1 (1 of 3 selected nodes)):");
  const nowhere = denialMessage("r", checkOf([{ issue: invalid(["spec", "desiredState", "x"], "unknown key"), nodes: [] }], { checked: [], selected: [] }));
  assert.match(nowhere, /checked without a node: no selected node has reported its state\):/);
});

test("a very long denial lists the first problems and counts the rest", () => {
  const findings = Array.from({ length: 400 }, (_, i) => ({ issue: invalid(["spec", "desiredState", "interfaces", i, "mtu"], "x".repeat(60)), nodes: ["node-1"] }));
  const message = denialMessage("p", checkOf(findings));
  assert.ok(message.length <= MAX_MESSAGE_CHARS + 200, `${message.length} characters`);
  assert.match(message, /\n… and \d+ more errors$/);
});

test("warnings fit the API server's limits: the hint goes first, then the message is cut", () => {
  const path = ["spec", "desiredState", "interfaces", 0];
  assert.equal(fitWarning(warning(path, "short", "hint"), " (on node-1)"), "spec.desiredState.interfaces[0]: short (hint) (on node-1)");
  const noHint = fitWarning(warning(path, "m".repeat(WARNING_CHARS - 60), "h".repeat(100)), " (on node-1)");
  assert.equal(noHint, `spec.desiredState.interfaces[0]: ${"m".repeat(WARNING_CHARS - 60)} (on node-1)`);
  const cut = fitWarning(warning(path, "m".repeat(2 * WARNING_CHARS)), " (on node-1)");
  assert.equal(cut.length, WARNING_CHARS);
  assert.ok(cut.endsWith("… (on node-1)"));
  assert.equal(fitWarning(warning(path, "first line\n  caret"), ""), "spec.desiredState.interfaces[0]: first line", "one line each");
});

test("warnings: validation warnings with their nodes, then what was not checked; at most WARNINGS_TOTAL_CHARS in all", () => {
  const check = checkOf([{ issue: warning(["spec", "desiredState", "interfaces", 0], "careful"), nodes: ["node-1", "node-2"] }], {
    selected: ["node-1", "node-2", "node-3", "node-4"],
    unreported: ["node-3"],
    unreadable: [{ node: "node-4", reason: "garbled" }],
    empty: true,
  });
  assert.deepEqual(admissionWarnings(check), [
    "spec.desiredState.interfaces[0]: careful (on node-1 and node-2)",
    "the policy has no spec.desiredState: it changes nothing",
    "not checked on node-3: no NodeNetworkState yet (is its handler running?)",
    "not checked on node-4: its NodeNetworkState cannot be read (garbled)",
  ]);
  const many = checkOf(Array.from({ length: 100 }, (_, i) => ({ issue: warning(["spec", "desiredState", "interfaces", i], "w".repeat(100)), nodes: ["node-1"] })));
  const lines = admissionWarnings(many);
  assert.ok(lines.join("").length <= WARNINGS_TOTAL_CHARS);
  assert.match(lines.at(-1)!, /^… and \d+ more warnings$/);
  assert.equal(lines.length - 1 + Number(lines.at(-1)!.match(/\d+/)![0]), 100, "every warning shown or counted");
});
