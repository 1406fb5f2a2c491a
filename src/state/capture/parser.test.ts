import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lex } from "./lexer.ts";
import { parseCaptureExpression, parseReference, type CaptureExpression } from "./parser.ts";

function parsed(expression: string): CaptureExpression {
  const result = parseCaptureExpression(expression);
  assert.ok(result.ok, result.ok ? "" : `${result.error.message} at ${result.error.pos}`);
  return result.value;
}

function failurePosition(expression: string): number {
  const result = parseCaptureExpression(expression);
  assert.ok(!result.ok, `expected ${JSON.stringify(expression)} not to parse`);
  return result.error.pos;
}

describe("lexer", () => {
  test("tokens and their positions", () => {
    const result = lex("capture.a | interfaces.mtu:=1500 != 'x' == true null");
    assert.ok(result.ok);
    assert.deepEqual(
      result.tokens.map((t) => [t.kind, t.text, t.pos]),
      [
        ["word", "capture", 0],
        ["dot", ".", 7],
        ["word", "a", 8],
        ["pipe", "|", 10],
        ["word", "interfaces", 12],
        ["dot", ".", 22],
        ["word", "mtu", 23],
        ["replace", ":=", 26],
        ["number", "1500", 28],
        ["ne", "!=", 33],
        ["string", "x", 36],
        ["eq", "==", 40],
        ["true", "true", 43],
        ["null", "null", 48],
        ["end", "", 52],
      ],
    );
  });

  test("a quoted string is taken as written, with no escapes", () => {
    const result = lex(`"a b.c==d" 'say "hi"'`);
    assert.ok(result.ok);
    assert.deepEqual(result.tokens.map((t) => t.text).slice(0, 2), ["a b.c==d", 'say "hi"']);
  });
});

describe("parser", () => {
  test("filter on the current state", () => {
    assert.deepEqual(parsed('routes.running.destination=="0.0.0.0/0"'), {
      input: undefined,
      path: [
        { key: "routes", pos: 0 },
        { key: "running", pos: 7 },
        { key: "destination", pos: 15 },
      ],
      operation: { operator: "eq", pos: 26, operand: { kind: "literal", value: "0.0.0.0/0", pos: 28 } },
    });
  });

  test("a capture reference as the value, with a list index", () => {
    const expression = parsed("interfaces.name==capture.default-gw.routes.running.0.next-hop-interface");
    assert.deepEqual(expression.operation?.operand, {
      kind: "reference",
      ref: {
        capture: "default-gw",
        capturePos: 25,
        steps: [
          { key: "routes", pos: 36 },
          { key: "running", pos: 43 },
          { key: 0, pos: 51 },
          { key: "next-hop-interface", pos: 53 },
        ],
      },
    });
  });

  test("pipe and replace", () => {
    const expression = parsed('capture.base-iface-routes | routes.running.next-hop-interface:="br1"');
    assert.deepEqual(expression.input, { capture: "base-iface-routes", pos: 8 });
    assert.deepEqual(
      expression.path.map((s) => s.key),
      ["routes", "running", "next-hop-interface"],
    );
    assert.equal(expression.operation?.operator, "replace");
  });

  test("a path that starts with capture.NAME reads that capture", () => {
    const expression = parsed('capture.ethernets.interfaces.state=="up"');
    assert.deepEqual(expression.input, { capture: "ethernets", pos: 8 });
    assert.deepEqual(
      expression.path.map((s) => s.key),
      ["interfaces", "state"],
    );
  });

  test("literal values", () => {
    const value = (expression: string) => {
      const operand = parsed(expression).operation?.operand;
      return operand?.kind === "literal" ? operand.value : operand;
    };
    assert.equal(value("a.b == 42"), 42);
    assert.equal(value("a.b == true"), true);
    assert.equal(value("a.b == false"), false);
    assert.equal(value("a.b := null"), null);
    assert.equal(value('a.b == "true"'), "true");
    assert.equal(value("a.b == up"), "up");
    assert.equal(value("a.b == ''"), "");
  });

  test("path-only expressions", () => {
    assert.deepEqual(parsed("dns-resolver.running"), {
      input: undefined,
      path: [
        { key: "dns-resolver", pos: 0 },
        { key: "running", pos: 13 },
      ],
      operation: undefined,
    });
    assert.deepEqual(parsed("capture.x"), { input: { capture: "x", pos: 8 }, path: [], operation: undefined });
  });

  test("keywords can be keys", () => {
    assert.deepEqual(
      parsed("a.true.null == 1").path.map((s) => s.key),
      ["a", "true", "null"],
    );
  });

  test("syntax errors point at the bad spot", () => {
    const cases: [string, number][] = [
      ["", 0],
      ["   ", 0],
      ['interfaces.name = "eth0"', 16],
      ['interfaces.name == "eth0', 19],
      ["interfaces.name ==", 16],
      ["interfaces.name ==   ", 16],
      ['interfaces. == "x"', 12],
      ["interfaces.", 10],
      ['interfaces.name == "a" == "b"', 23],
      ['interfaces.name == "a" | x', 23],
      ['capture.a | capture.b.interfaces.name == "x"', 12],
      ['interfaces.name | x == "y"', 0],
      ['capture.a.interfaces | name == "x"', 10],
      ["capture.a |", 10],
      ["routes.running.destination == 0.0.0.0/0", 37],
      ["interfaces.mtu == 1.5", 19],
      ["routes.running.destination == '0.0.0.0/0' extra", 42],
      ["interfaces.name == eth0.100", 19],
      ['capture == "x"', 0],
      ['capture.a == "x"', 10],
      ['capture.0.a == "x"', 8],
      ['interfaces.name @ "x"', 16],
      ['interfaces.name ! "x"', 16],
      ['"eth0" == interfaces.name', 0],
      ["interfaces.name == |", 19],
    ];
    for (const [expression, position] of cases) {
      assert.equal(failurePosition(expression), position, JSON.stringify(expression));
    }
  });

  test("words after a path without an operator are ignored, as nmstate reads them; anything else after it fails", () => {
    const words = parsed("override me with the cache");
    assert.deepEqual(words.path.map((s) => s.key), ["override"]);
    assert.equal(words.operation, undefined);
    assert.equal(failurePosition('interfaces.name "eth0"'), 16);
    assert.equal(failurePosition("capture.a b c"), 10);
  });

  test("template references", () => {
    const result = parseReference(" capture.primary-nic.interfaces.0.mac-address ");
    assert.ok(result.ok);
    assert.deepEqual(result.value, {
      capture: "primary-nic",
      capturePos: 9,
      steps: [
        { key: "interfaces", pos: 21 },
        { key: 0, pos: 32 },
        { key: "mac-address", pos: 34 },
      ],
    });
    for (const [source, position] of [
      ["interfaces.0.name", 0],
      ["capture.x.a == 1", 12],
      ["", 0],
      ["capture", 0],
    ] as const) {
      const failed = parseReference(source);
      assert.ok(!failed.ok, source);
      assert.equal(failed.error.pos, position, source);
    }
  });
});
