/**
 * The extended corpus: 534 real nmstate / kubernetes-nmstate documents
 * (../shared/conformance/extended, read in place) each end in the class the
 * table test/conformance/extended-expectations.tsv gives it:
 *
 * - `accepted`: parses and validates with no error;
 * - `unsupported`: refused only with `unsupported` errors, at exactly the listed fields;
 * - `refused`: refused with errors (at least one not `unsupported`) at exactly the listed fields.
 *
 * The current state is fixed, the same for every document: six up ethernets
 * eth0..eth5 without addresses or routes (what the first judged run,
 * VERDICTS.md, had in its namespace). Refusals that come from this state (a
 * capture matching nothing, an interface the host lacks) are listed as such in
 * the table's note column; docs/compatibility.md lists the deliberate ones.
 * A document missing from the table, a row without a document, or any
 * mismatch fails; the count per class is printed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatIssue } from "./issues.ts";
import { classify, corpusFiles, EXTENDED, type Class } from "../../test/conformance/extended.ts";

const TABLE = new URL("../../test/conformance/extended-expectations.tsv", import.meta.url);

interface Row {
  class: Class;
  fields: string[];
  note: string;
}

function readTable(): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of readFileSync(TABLE, "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [path, cls, fields = "", note = ""] = line.split("\t");
    assert.ok(path && ["accepted", "unsupported", "refused"].includes(cls!), `bad table row: ${line}`);
    assert.ok(!rows.has(path), `${path} is in the table twice`);
    rows.set(path, { class: cls as Class, fields: fields ? fields.split(" ") : [], note });
  }
  return rows;
}

const files = corpusFiles();
const table = readTable();
const counts: Record<Class, number> = { accepted: 0, unsupported: 0, refused: 0 };

test(`extended corpus: ${files.length} documents, each in the expectations table`, () => {
  assert.equal(files.length, 534);
  assert.deepEqual(files.filter((f) => !table.has(f)), [], "documents missing from the table");
  assert.deepEqual([...table.keys()].filter((f) => !files.includes(f)), [], "table rows without a document");
});

for (const file of files) {
  const row = table.get(file);
  test(`extended ${file}: ${row?.class ?? "not in the table"}`, () => {
    assert.ok(row, "not in the table");
    const got = classify(file, readFileSync(join(EXTENDED, file), "utf8"));
    counts[got.class]++;
    assert.equal(got.class, row.class, `${file}: ${got.issues.map(formatIssue).join("\n")}`);
    assert.deepEqual(got.fields, row.fields, `${file}: the errors name other fields:\n${got.issues.map(formatIssue).join("\n")}`);
    if (got.class !== "accepted") assert.ok(row.note, `${file}: a refusal needs its reason in the table's note column`);
    for (const issue of got.issues) assert.ok(issue.source && issue.source.line > 0, `${file}: ${formatIssue(issue)} has no line`);
  });
}

test("extended corpus: count per class", () => {
  console.log(`extended corpus: accepted ${counts.accepted}, unsupported ${counts.unsupported}, refused ${counts.refused}`);
  assert.equal(counts.accepted + counts.unsupported + counts.refused, files.length);
});
