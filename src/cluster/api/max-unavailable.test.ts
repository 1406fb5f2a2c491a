import assert from "node:assert/strict";
import { test } from "node:test";
import { effectiveMaxUnavailable, maxUnavailableIssues, maxUnavailableProblem } from "./max-unavailable.ts";

test("maxUnavailable: refused values, each with the reason", () => {
  for (const value of ["abc", "-10%", "1.5%", "", " 5%", "5 %", -1, 1.5, true]) {
    assert.match(maxUnavailableProblem(value) ?? "", /must be a whole number of nodes \(0 or more\) or a whole percentage such as "25%"/, String(value));
    const [issue] = maxUnavailableIssues(value, 3);
    assert.equal(issue?.severity, "error");
    assert.deepEqual(issue?.path, ["spec", "maxUnavailable"]);
  }
  for (const value of [0, 1, 100000, "0%", "50%", "150%", "3", undefined]) assert.equal(maxUnavailableProblem(value), undefined, String(value));
});

test("maxUnavailable: clamped to at least 1 and at most every matching node, with a note", () => {
  const cases: [number | string | undefined, number, number, RegExp | undefined][] = [
    [0, 3, 1, /raised to 1/],
    ["0%", 3, 1, /raised to 1/],
    ["10%", 3, 1, /raised to 1/],
    ["150%", 3, 3, /more than the 3 matching nodes: all of them/],
    [100000, 3, 3, /more than the 3 matching nodes/],
    ["100%", 3, 3, undefined],
    [2, 3, 2, undefined],
    ["3", 5, 3, undefined],
    [undefined, 4, 2, undefined],
    ["50%", 3, 1, undefined],
    [5, 0, 1, /more than the 0 matching nodes/],
  ];
  for (const [value, matching, nodes, note] of cases) {
    const effective = effectiveMaxUnavailable(value, matching);
    assert.equal(effective.nodes, nodes, `${String(value)} of ${matching}`);
    if (note) assert.match(effective.note ?? "", note);
    else assert.equal(effective.note, undefined, `${String(value)} of ${matching}`);
  }
  assert.deepEqual(maxUnavailableIssues("150%", 3).map((i) => [i.severity, i.message]), [["warning", '"150%" is more than the 3 matching nodes: all of them (3 at a time)']]);
  assert.deepEqual(maxUnavailableIssues(0, 0), [], "no node selected yet: nothing to say");
});
