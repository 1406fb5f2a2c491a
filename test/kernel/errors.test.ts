/**
 * Long lists of problems stay readable: the CLI shows the first ones and
 * counts the rest, and `--json` carries every one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";

test("1000 invalid interfaces: 20 error lines and '…and 980 more'; apply --json lists all 1000; nothing touched", async (t) => {
  const ns = await TestNetns.create("manyerr", t);
  const before = (await nodenet(["show", "--netns", ns.name])).stdout;
  const yaml = ["interfaces:", ...Array.from({ length: 1000 }, (_, i) => `- {name: nx${i}}`)].join("\n") + "\n";
  const [file] = stateFiles(t, yaml);
  const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
  assert.equal(result.code, 2);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 22, result.stderr.slice(0, 2000));
  assert.match(lines[0]!, /interfaces\[0\]\.name: interface nx0 does not exist, and without a type it cannot be created/);
  assert.equal(lines[20], "…and 980 more (--json lists them all)");
  assert.equal(lines[21], "error: 1000 problem(s); nothing was changed");
  assert.ok(result.stderr.length < 4000, `${result.stderr.length} bytes`);

  const json = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--json", file!]);
  assert.equal(json.code, 2);
  const parsed = JSON.parse(json.stdout) as { error: { kind: string; issues: { path: (string | number)[] }[] } };
  assert.equal(parsed.error.kind, "invalid-input");
  assert.equal(parsed.error.issues.length, 1000);
  assert.deepEqual(parsed.error.issues[999]!.path, ["interfaces", 999, "name"]);
  assert.equal((await nodenet(["show", "--netns", ns.name])).stdout, before);
});
