/** Table test: fixtures/diff/CASE/{current,desired,diff}.yml. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { diffStates } from "./diff.ts";
import { formatIssue } from "./issues.ts";
import { loadDesired } from "./load.ts";
import { parseState } from "./parse/index.ts";
import { validate } from "./validate/index.ts";

const DIR = new URL("./fixtures/diff/", import.meta.url).pathname;

for (const name of readdirSync(DIR).sort()) {
  test(`diff: ${name}`, () => {
    const read = (file: string) => readFileSync(join(DIR, name, file), "utf8");
    const current = parseState(parse(read("current.yml")));
    assert.deepEqual(current.issues.map(formatIssue), []);
    const desired = loadDesired([{ file: "desired.yml", text: read("desired.yml") }]);
    assert.deepEqual(desired.issues.map(formatIssue), []);
    const result = validate(desired.state!, current.state!);
    assert.deepEqual(result.issues.filter((i) => i.severity === "error").map(formatIssue), []);
    assert.deepEqual(JSON.parse(JSON.stringify(diffStates(result.merged))), parse(read("diff.yml")));
  });
}
