/**
 * Input a hostile or careless user hands nodenet (issue 13): YAML alias bombs
 * and self-references, unknown API versions, output piped into a reader that
 * goes away. Each is a clean, bounded error or a quiet end — and the target
 * namespace is byte-identical afterwards.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";
import { kernelSnapshot } from "../helpers/snapshot.ts";

const BIN = new URL("../../bin/nodenet", import.meta.url).pathname;

/** `nodenet ARGS | head -N`: what nodenet wrote to stderr and how it ended, with its stdout read by a `head` that exits early. */
function pipedIntoHead(args: string[], lines: number): Promise<{ code: number | null; signal: string | null; stderr: string; head: string }> {
  return new Promise((resolve) => {
    const cli = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
    const head = spawn("head", [`-${lines}`], { stdio: ["pipe", "pipe", "ignore"] });
    cli.stdout.pipe(head.stdin);
    // The reader is gone once head exits: further writes by nodenet hit a closed pipe.
    head.stdin.on("error", () => undefined);
    let stderr = "";
    let headOut = "";
    cli.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    head.stdout.on("data", (d: Buffer) => (headOut += d.toString()));
    cli.on("close", (code, signal) => resolve({ code, signal, stderr, head: headOut }));
  });
}

const billionLaughs = () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  return lines.join("\n") + "\n";
};

describe("YAML aliases", () => {
  const cases: [string, string, RegExp][] = [
    ["a billion laughs (9^9 nodes)", billionLaughs(), /YAML aliases: Excessive alias count .* \(at most 1000 alias expansions\)/],
    ["an alias inside its own anchor", "interfaces: &x\n- name: br0\n  type: linux-bridge\n  bridge: {port: *x}\n", /YAML aliases: an alias refers to the node that contains it/],
    ["a self-referencing sequence", "a: &a [*a]\n", /YAML aliases: an alias refers to the node that contains it/],
  ];
  for (const [label, text, message] of cases) {
    test(`${label}: invalid input (exit 2) within seconds, nothing touched`, async (t) => {
      const ns = await TestNetns.create("alias", t);
      const before = await kernelSnapshot(ns);
      const [file] = stateFiles(t, text);
      const started = Date.now();
      for (const command of ["validate", "apply"]) {
        const result = await nodenet([command, "--netns", ns.name, file!], { timeoutMs: 20_000 });
        assert.equal(result.code, 2, `${command}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.doesNotMatch(result.stderr, /nodenet bug|RangeError|    at /);
        assert.ok(result.stderr.length < 2000, "the error is short");
      }
      assert.ok(Date.now() - started < 15_000, "bounded time");
      assert.equal(await kernelSnapshot(ns), before);
    });
  }

  test("ordinary anchors and aliases still work", async (t) => {
    const ns = await TestNetns.create("alias", t);
    const [file] = stateFiles(t, "interfaces:\n- name: v0\n  type: veth\n  veth: {peer: v0p}\n  ipv4: &ip {enabled: false}\n  ipv6: *ip\n");
    const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.equal(result.code, 0, result.stderr);
  });
});

describe("API versions", () => {
  for (const version of ["nmstate.io/v9", "nmstate.io/v2", "nmstate.io/"]) {
    test(`a policy with apiVersion ${version} is refused, naming apiVersion and the known versions`, async (t) => {
      const ns = await TestNetns.create("apiver", t);
      const before = await kernelSnapshot(ns);
      const [file] = stateFiles(t, `apiVersion: ${version}\nkind: NodeNetworkConfigurationPolicy\nmetadata: {name: p}\nspec:\n  desiredState:\n    interfaces: [{name: v0, type: veth, veth: {peer: v0p}}]\n`);
      for (const command of ["validate", "apply"]) {
        const result = await nodenet([command, "--netns", ns.name, "--no-probes", file!].filter((a) => command === "apply" || a !== "--no-probes"));
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, new RegExp(`:1:1: error: apiVersion: unknown API version "${version.replace(".", "\\.")}" of NodeNetworkConfigurationPolicy \\(use nmstate\\.io/v1 or nmstate\\.io/v1beta1\\)`));
      }
      assert.equal(await kernelSnapshot(ns), before);
    });
  }

  for (const version of ["nmstate.io/v1", "nmstate.io/v1beta1"]) {
    test(`a policy with apiVersion ${version} applies`, async (t) => {
      const ns = await TestNetns.create("apiver", t);
      const [file] = stateFiles(t, `apiVersion: ${version}\nkind: NodeNetworkConfigurationPolicy\nmetadata: {name: p}\nspec:\n  desiredState:\n    interfaces: [{name: v0, type: veth, veth: {peer: v0p}}]\n`);
      const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
      assert.equal(result.code, 0, result.stderr);
      assert.match((await ns.ip(["-br", "link", "show", "v0"])).stdout, /^v0@v0p/);
    });
  }
});

describe("output into a closed pipe", () => {
  test("nodenet apply --help | head -3: three lines, no stack trace, exit 0", async () => {
    const result = await pipedIntoHead(["apply", "--help"], 3);
    assert.equal(result.head.split("\n").length, 4);
    assert.match(result.head, /^Usage: nodenet apply/);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
  });

  test("nodenet show | head -1 on a namespace with many interfaces: one line, no stack trace, exit 0", async (t) => {
    const ns = await TestNetns.create("pipe", t);
    await ns.batch(Array.from({ length: 200 }, (_, i) => `link add pv${i} type veth peer name pv${i}p`));
    const result = await pipedIntoHead(["show", "--netns", ns.name], 1);
    assert.equal(result.head.trim().split("\n").length, 1);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
  });
});

describe("what only the kernel used to catch is refused at validate time, naming the field, nothing touched", () => {
  const cases: [string, string, RegExp][] = [
    ["the name .", 'interfaces: [{name: ".", type: linux-bridge}]', /interfaces\[0\]\.name: "\.": interface names cannot be \. or \.\./],
    ["the name ..", 'interfaces: [{name: "..", type: linux-bridge}]', /interfaces\[0\]\.name: "\.\.": interface names cannot be \. or \.\./],
    ["a name of 9 characters but 18 bytes", 'interfaces: [{name: "ééééééééé", type: linux-bridge}]', /interfaces\[0\]\.name: .*(at most 15 bytes|longer than 15 bytes)/],
    ["a description of 256 bytes", `interfaces: [{name: d0, type: linux-bridge, description: "${"é".repeat(128)}"}]`, /interfaces\[0\]\.description: "é+…" \(256 bytes\): a description is at most 255 bytes/],
    ["a bridge inside itself through another bridge", "interfaces: [{name: b1, type: linux-bridge, bridge: {port: [{name: b2}]}}, {name: b2, type: linux-bridge, bridge: {port: [{name: b1}]}}]", /interfaces\[\d\]\.bridge\.port\[0\]: b\d would be inside itself: (b1 → b2 → b1|b2 → b1 → b2)/],
    ["a loop through three bridges", "interfaces: [{name: b1, type: linux-bridge, bridge: {port: [{name: b2}]}}, {name: b2, type: linux-bridge, bridge: {port: [{name: b3}]}}, {name: b3, type: linux-bridge, bridge: {port: [{name: b1}]}}]", /bridge\.port\[0\]: b\d would be inside itself: b\d → b\d → b\d → b\d/],
    ["lo: absent", "interfaces: [{name: lo, state: absent}]", /interfaces\[0\]\.state: the loopback interface lo cannot be removed/],
    ["a veth peer named like an existing interface", "interfaces: [{name: v9, type: veth, veth: {peer: vx}}]", /interfaces\[0\]\.veth\.peer: vx already exists on this host/],
  ];
  for (const [label, text, message] of cases) {
    test(label, async (t) => {
      const ns = await TestNetns.create("kernelonly", t);
      await ns.batch(["link add vx type veth peer name vxp"]);
      const before = await kernelSnapshot(ns);
      const [file] = stateFiles(t, `${text}\n`);
      for (const command of ["validate", "apply"]) {
        const result = await nodenet([command, "--netns", ns.name, ...(command === "apply" ? ["--no-probes"] : []), file!]);
        assert.equal(result.code, 2, `${command}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.doesNotMatch(result.stderr, /rolled back|operation \d+\/\d+ failed/, "refused before the kernel saw it");
      }
      assert.equal(await kernelSnapshot(ns), before);
    });
  }

  test("a 2 MB description is quoted once, in a bounded message", async (t) => {
    const ns = await TestNetns.create("bigdesc", t);
    const [file] = stateFiles(t, `interfaces: [{name: d0, type: linux-bridge, description: "${"x".repeat(2_000_000)}"}]\n`);
    const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /interfaces\[0\]\.description: "x+…" \(2000000 bytes\): a description is at most 255 bytes/);
    assert.ok(result.stderr.length + result.stdout.length < 1000, `output is ${result.stderr.length + result.stdout.length} bytes`);
  });
});
