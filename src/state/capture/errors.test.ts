import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CaptureError, evaluateCaptures, formatCaptureIssue, renderPolicy, renderTemplates, type CaptureIssue } from "./index.ts";

const current = {
  interfaces: [
    { name: "eth0", type: "ethernet", state: "up", "mac-address": "52:54:00:00:00:01" },
    { name: "eth1", type: "ethernet", state: "up" },
  ],
  routes: { running: [{ destination: "0.0.0.0/0", "next-hop-interface": "eth0" }] },
};

function issuesOf(run: () => unknown): CaptureIssue[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CaptureError, `expected a CaptureError, got ${String(error)}`);
    assert.equal(error.message, error.issues.map(formatCaptureIssue).join("\n"));
    return error.issues;
  }
  assert.fail("expected a CaptureError");
}

describe("formatting", () => {
  test("a caret under the bad spot of the expression", () => {
    const [issue] = issuesOf(() => evaluateCaptures({ "base-iface": 'interfaces.name = "eth0"' }, current));
    assert.deepEqual(
      { ...issue, message: undefined, hint: undefined },
      { code: "syntax", capture: "base-iface", position: 16, expression: 'interfaces.name = "eth0"', message: undefined, hint: undefined },
    );
    assert.equal(
      formatCaptureIssue(issue!),
      [
        "capture.base-iface: unexpected '=' at 16 (use '==' to filter or ':=' to replace)",
        '    interfaces.name = "eth0"',
        "                    ^",
      ].join("\n"),
    );
  });

  test("a folded expression on several lines: the caret goes under the right line", () => {
    const expression = "routes.running.next-hop-interface ==\n  capture.default-gw.routes.running.0.next-hop-interface\n";
    const [issue] = issuesOf(() => evaluateCaptures({ routes: expression }, current));
    assert.equal(issue!.code, "unknown-capture");
    assert.equal(
      formatCaptureIssue(issue!),
      [
        "capture.routes: unknown capture 'default-gw' at line 2, column 11 (the policy defines no other captures)",
        "      capture.default-gw.routes.running.0.next-hop-interface",
        "              ^",
      ].join("\n"),
    );
  });

  test("without an expression there is no caret", () => {
    assert.equal(formatCaptureIssue({ code: "invalid-input", message: "the current state must be an object, got 1" }), "the current state must be an object, got 1");
    assert.equal(
      formatCaptureIssue({ code: "missing-value", path: ["interfaces", 0, "name"], message: "m", hint: "h" }),
      "desiredState.interfaces[0].name: m (h)",
    );
  });
});

describe("capture errors", () => {
  test("unknown capture, with did-you-mean", () => {
    const [issue, ...rest] = issuesOf(() =>
      evaluateCaptures(
        {
          "default-gw": 'routes.running.destination=="0.0.0.0/0"',
          "base-iface": "interfaces.name==capture.default-gwy.routes.running.0.next-hop-interface",
        },
        current,
      ),
    );
    assert.equal(rest.length, 0);
    assert.equal(issue!.code, "unknown-capture");
    assert.equal(issue!.capture, "base-iface");
    assert.equal(issue!.position, 25);
    assert.match(issue!.message, /'default-gwy'/);
    assert.match(issue!.hint!, /did you mean 'default-gw'\?/);
  });

  test("an unknown piped capture", () => {
    const [issue] = issuesOf(() => evaluateCaptures({ ethernets: 'interfaces.type=="ethernet"', up: 'capture.ethernet | interfaces.state=="up"' }, current));
    assert.equal(issue!.code, "unknown-capture");
    assert.equal(issue!.position, 8);
    assert.match(issue!.hint!, /'ethernets'/);
  });

  test("a cycle is reported once, spelled out", () => {
    const issues = issuesOf(() =>
      evaluateCaptures(
        {
          a: 'capture.c | interfaces.state=="up"',
          b: 'capture.a | interfaces.state=="up"',
          c: "interfaces.name == capture.b.interfaces.0.name",
          free: 'interfaces.type=="ethernet"',
        },
        current,
      ),
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.code, "cycle");
    assert.match(issues[0]!.message, /a -> c -> b -> a/);
  });

  test("a capture that refers to itself", () => {
    const [issue] = issuesOf(() => evaluateCaptures({ me: 'capture.me | interfaces.state=="up"' }, current));
    assert.equal(issue!.code, "cycle");
    assert.equal(issue!.position, 8);
  });

  test("all syntax and reference problems are reported together", () => {
    const issues = issuesOf(() =>
      evaluateCaptures({ one: "interfaces.name = x", two: "capture.nope | interfaces.name", three: "interfaces.name == 'x" }, current),
    );
    assert.deepEqual(
      issues.map((i) => [i.capture, i.code]),
      [
        ["one", "syntax"],
        ["three", "syntax"],
        ["two", "unknown-capture"],
      ],
    );
  });

  test("a value taken from a capture that matched nothing", () => {
    const issues = issuesOf(() =>
      evaluateCaptures(
        {
          gw: 'routes.running.destination=="192.0.2.0/24"',
          iface: "interfaces.name == capture.gw.routes.running.0.next-hop-interface",
          bridge: 'capture.iface | interfaces.state := "down"',
        },
        current,
      ),
    );
    // `bridge` depends on the failed `iface` and is skipped rather than reported.
    assert.equal(issues.length, 1);
    const [issue] = issues;
    assert.equal(issue!.code, "missing-value");
    assert.equal(issue!.capture, "iface");
    assert.equal(issue!.message, "capture 'gw' matched no routes.running entries");
    assert.equal(issue!.position, 45);
  });

  test("a list index in a filter path", () => {
    const [issue] = issuesOf(() => evaluateCaptures({ x: 'interfaces.0.name == "eth0"' }, current));
    assert.equal(issue!.code, "invalid-path");
    assert.equal(issue!.position, 11);
  });

  test("a path through a value that is not an object", () => {
    const [issue] = issuesOf(() => evaluateCaptures({ x: 'hostname.running.short == "n"' }, { hostname: { running: "node1" } }));
    assert.equal(issue!.code, "invalid-path");
    assert.equal(issue!.message, "hostname.running is a string, it has no 'short'");
    assert.equal(issue!.position, 17);
  });
});

describe("template errors", () => {
  const captured = {
    none: { interfaces: [] },
    empty: {},
    one: { interfaces: [{ name: "eth0", "mac-address": "52:54:00:00:00:01", ipv4: { address: [{ ip: "10.0.0.2" }] } }] },
  };

  test("into a capture that matched no interfaces", () => {
    const [issue] = issuesOf(() => renderTemplates({ interfaces: [{ name: "{{ capture.none.interfaces.0.name }}" }] }, captured));
    assert.deepEqual(issue, {
      code: "missing-value",
      path: ["interfaces", 0, "name"],
      capture: "none",
      message: "capture 'none' matched no interfaces",
      position: 27,
      expression: "{{ capture.none.interfaces.0.name }}",
    });
    assert.equal(
      formatCaptureIssue(issue!),
      [
        "desiredState.interfaces[0].name: capture 'none' matched no interfaces at 27",
        "    {{ capture.none.interfaces.0.name }}",
        "                               ^",
      ].join("\n"),
    );
  });

  test("renderPolicy quotes the expression of a capture that matched nothing", () => {
    const [issue] = issuesOf(() =>
      renderPolicy(
        {
          capture: { primary: 'interfaces.description == "primary"' },
          desiredState: { interfaces: [{ name: "br0", "mac-address": "{{ capture.primary.interfaces.0.mac-address }}" }] },
        },
        current,
      ),
    );
    assert.equal(issue!.message, "capture 'primary' matched no interfaces");
    assert.equal(issue!.hint, 'its expression: interfaces.description == "primary"');
  });

  test("out of range, missing key with did-you-mean, wrong kind of step, nothing captured", () => {
    const cases: [string, CaptureIssue["code"], string, string?][] = [
      ["{{ capture.one.interfaces.1.name }}", "missing-value", "capture.one.interfaces has 1 element; index 1 is out of range"],
      ["{{ capture.one.interfaces.0.mac-adress }}", "missing-value", "capture.one.interfaces.0 has no 'mac-adress'", "did you mean 'mac-address'?"],
      ["{{ capture.one.interfaces.0.ipv4.address.3 }}", "missing-value", "capture.one.interfaces.0.ipv4.address has 1 element; index 3 is out of range"],
      ["{{ capture.one.interfaces.name }}", "invalid-path", "capture.one.interfaces is a list", "pick an element by index, e.g. capture.one.interfaces.0.name"],
      ["{{ capture.one.interfaces.0.name.first }}", "invalid-path", "capture.one.interfaces.0.name is a string, it has no 'first'"],
      ["{{ capture.one.0 }}", "invalid-path", "capture.one is an object, not a list", "it has: interfaces"],
      ["{{ capture.empty.routes.running }}", "missing-value", "capture 'empty' captured nothing"],
      ["{{ capture.on.interfaces }}", "unknown-capture", "unknown capture 'on'", "did you mean 'one'?"],
      ["{{ capture.one.interfaces.0.name == 1 }}", "syntax", "unexpected '==' after the reference", "a template holds one capture.NAME.path and nothing else"],
      ["{{ interfaces.0.name }}", "syntax", "a template can only refer to captured data: capture.NAME.path"],
      [
        "ip {{ capture.one.interfaces.0.name }}",
        "embedded-template",
        "a capture reference cannot be combined with other text",
        'the whole value must be the reference, e.g. "{{ capture.NAME.path }}"',
      ],
    ];
    for (const [template, code, message, hint] of cases) {
      const [issue, ...rest] = issuesOf(() => renderTemplates({ value: template }, captured));
      assert.equal(rest.length, 0, template);
      assert.deepEqual([issue!.code, issue!.message, issue!.hint], [code, message, hint], template);
      assert.deepEqual(issue!.path, ["value"]);
    }
  });

  test("every bad template in the document is reported", () => {
    const issues = issuesOf(() =>
      renderTemplates({ a: "{{ capture.none.interfaces.0 }}", b: ["{{ capture.x.y }}"], c: "{{ capture.one.interfaces.0.name }}" }, captured),
    );
    assert.deepEqual(
      issues.map((i) => i.path),
      [["a"], ["b", 0]],
    );
  });
});
