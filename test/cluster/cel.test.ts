/**
 * The CRD's CEL rules on a real API server: each rejects what it should,
 * with its message, and lets through what upstream accepts.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setConditions } from "../../src/cluster/kube/conditions.ts";
import { apiStatus } from "../../src/cluster/kube/errors.ts";
import { policyClient } from "../../src/cluster/kube/resources.ts";
import { patchStatus } from "../../src/cluster/kube/status.ts";
import { suiteKube, unique } from "./helpers.ts";

const kube = suiteKube();
const policies = policyClient(kube);
const made: string[] = [];
after(async () => {
  for (const name of made) await policies.delete(name);
});

const DESIRED = { interfaces: [{ name: "eth1", type: "ethernet", state: "up" }] };

async function create(name: string, spec: Record<string, unknown>) {
  made.push(name);
  return policies.create({ metadata: { name }, spec });
}

/** The API server's refusal (422 Invalid) as one string of its causes. */
async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    const status = apiStatus(error);
    assert.equal(status?.code, 422, `expected 422 Invalid, got ${JSON.stringify(status)}`);
    return [status?.message ?? "", ...(status?.causes ?? []).map((c) => `${c.field}: ${c.message}`)].join("\n");
  }
  assert.fail("the API server accepted it");
}

describe("policy name", () => {
  test("at most 63 characters", async () => {
    const message = await refusal(() => create(`p${"x".repeat(63)}`, { desiredState: DESIRED }));
    assert.match(message, /at most 63 characters/);
    await create(`p${"x".repeat(62)}`, { desiredState: DESIRED });
  });

  test("a valid label value (DNS names with dots are fine, as upstream)", async () => {
    await create(unique("a.b"), { desiredState: DESIRED });
  });
});

describe("nodeSelector", () => {
  test("keys must be qualified names (upstream's rule)", async () => {
    const message = await refusal(() => create(unique("sel"), { nodeSelector: { "bad key!": "x" }, desiredState: DESIRED }));
    assert.match(message, /nodeSelector keys must be valid qualified names/);
    await create(unique("sel"), { nodeSelector: { "node-role.kubernetes.io/worker": "", "kubernetes.io/hostname": "node02" }, desiredState: DESIRED });
  });

  test("values must be label values", async () => {
    const message = await refusal(() => create(unique("sel"), { nodeSelector: { "kubernetes.io/hostname": "node 02!" }, desiredState: DESIRED }));
    assert.match(message, /nodeSelector values must be valid label values/);
    const tooLong = await refusal(() => create(unique("sel"), { nodeSelector: { a: "x".repeat(64) }, desiredState: DESIRED }));
    assert.match(tooLong, /63/);
  });
});

describe("spec.capture is immutable", () => {
  const capture = { "default-gw": 'routes.running.destination=="0.0.0.0/0"' };

  test("changing, adding or removing capture is refused; other spec changes are not", async () => {
    const name = unique("cap");
    await create(name, { capture, desiredState: DESIRED });
    assert.match(await refusal(() => policies.mergePatch(name, { spec: { capture: { "default-gw": "routes.running" } } })), /spec.capture is immutable/);
    assert.match(await refusal(() => policies.mergePatch(name, { spec: { capture: { other: "interfaces" } } })), /spec.capture is immutable/);
    assert.match(await refusal(() => policies.mergePatch(name, { spec: { capture: null } })), /spec.capture is immutable/);
    await policies.mergePatch(name, { spec: { maxUnavailable: 1 } });

    const plain = unique("cap");
    await create(plain, { desiredState: DESIRED });
    assert.match(await refusal(() => policies.mergePatch(plain, { spec: { capture } })), /spec.capture is immutable/);
  });
});

describe("no spec change while the policy is progressing", () => {
  test("refused while Progressing=True (desiredState too), allowed after", async () => {
    const name = unique("prog");
    await create(name, { desiredState: DESIRED });
    await patchStatus(policies, name, { conditions: setConditions(undefined, [{ type: "Progressing", status: "True", reason: "ConfigurationProgressing" }]) });
    const changed = { interfaces: [{ name: "eth1", type: "ethernet", state: "down" }] };
    assert.match(await refusal(() => policies.mergePatch(name, { spec: { desiredState: changed } })), /being rolled out/);
    assert.match(await refusal(() => policies.mergePatch(name, { spec: { maxUnavailable: "10%" } })), /being rolled out/);
    // metadata (labels) and status may still change
    await policies.mergePatch(name, { metadata: { labels: { team: "net" } } });
    await patchStatus(policies, name, { conditions: setConditions(undefined, [{ type: "Progressing", status: "False", reason: "SuccessfullyConfigured" }, { type: "Available", status: "True", reason: "SuccessfullyConfigured" }]) });
    const updated = await policies.mergePatch(name, { spec: { desiredState: changed } });
    assert.deepEqual(updated.spec?.desiredState, changed);
  });
});

describe("maxUnavailable", () => {
  test("refused, naming the field: not a whole number of nodes or a whole percentage", async () => {
    for (const value of ["abc", "-10%", "1.5%", "", " 5%", -1]) {
      const message = await refusal(() => create(unique("mu"), { desiredState: DESIRED, maxUnavailable: value }));
      assert.match(message, /spec\.maxUnavailable: .*must be a whole number of nodes \(0 or more\) or a whole percentage such as "25%"/, JSON.stringify(value));
    }
  });

  test("accepted and stored as given (clamped when used: 0 → 1, over 100% → every matching node)", async () => {
    for (const value of [0, "0%", "150%", 100000, 1, "25%", "3"]) {
      const created = await create(unique("mu"), { desiredState: DESIRED, maxUnavailable: value });
      assert.deepEqual(created.spec?.maxUnavailable, value);
    }
  });

  test("an update to an invalid value is refused too", async () => {
    const name = unique("mu");
    await create(name, { desiredState: DESIRED, maxUnavailable: 1 });
    assert.match(await refusal(() => policies.mergePatch(name, { spec: { maxUnavailable: "abc" } })), /spec\.maxUnavailable/);
  });
});

describe("upstream's acceptance is not narrowed", () => {
  test("any desiredState object, int or percent maxUnavailable, any capture strings", async () => {
    await create(unique("wide"), { desiredState: { anything: { goes: [1, "two", { three: null }] } }, maxUnavailable: 3, capture: { a: "b" } });
    await create(unique("wide"), { desiredState: { interfaces: "{{ capture.x.interfaces }}" }, maxUnavailable: "50%" });
    await create(unique("wide"), {});
  });

  test("nodenet extensions are validated", async () => {
    await create(unique("ext"), { desiredState: DESIRED, probes: { gateway: { enabled: false }, tcp: [{ host: "192.0.2.10", port: 6443, timeoutSeconds: 5 }] }, drain: { enabled: true }, revertOnDelete: true });
    assert.match(await refusal(() => create(unique("ext"), { probes: { tcp: [{ host: "h", port: 0 }] } })), /port/);
    assert.match(await refusal(() => create(unique("ext"), { drain: { timeoutSeconds: 5 } })), /enabled/);
  });
});
