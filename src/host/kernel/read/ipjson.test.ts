import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dumpWasInterrupted, parseJsonSequence } from "./ipjson.ts";

describe("parseJsonSequence", () => {
  it("splits the arrays `ip -json -batch` prints one after another", () => {
    const text = '[{"a":1}]\n[]\n[{"b":[1,2,{"c":"]"}]}]\n';
    assert.deepEqual(parseJsonSequence(text), [[{ a: 1 }], [], [{ b: [1, 2, { c: "]" }] }]]);
  });

  it("is not fooled by brackets and escaped quotes inside strings", () => {
    const text = '[{"ifalias":"a \\"[quoted]\\" {name}"}][{"x":"\\\\"}]';
    assert.deepEqual(parseJsonSequence(text), [[{ ifalias: 'a "[quoted]" {name}' }], [{ x: "\\" }]]);
  });

  it("accepts iproute2's fixed-point numbers and documents without a newline between them", () => {
    assert.deepEqual(parseJsonSequence('[{"hold_timer":0.00}][{"n":1}]'), [[{ hold_timer: 0 }], [{ n: 1 }]]);
  });

  it("returns nothing for empty output", () => {
    assert.deepEqual(parseJsonSequence(" \n"), []);
  });

  it("rejects text that is not JSON and output cut off in the middle", () => {
    assert.throws(() => parseJsonSequence('Device "x" does not exist.'), /unexpected/);
    assert.throws(() => parseJsonSequence('[{"a":1},{"b":'), /ends inside a document/);
  });
});

describe("dumpWasInterrupted", () => {
  it("recognises iproute2's warning about NLM_F_DUMP_INTR", () => {
    assert.equal(dumpWasInterrupted("Dump was interrupted and may be inconsistent.\n"), true);
    assert.equal(dumpWasInterrupted(""), false);
  });
});
