/**
 * The generated CRDs on a real API server: every upstream example policy is
 * stored and read back unchanged (as v1 and as the deprecated v1beta1), and
 * kubectl shows upstream's printer columns.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { kubeTime, setConditions } from "../../src/cluster/kube/conditions.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../../src/cluster/kube/resources.ts";
import { patchStatus } from "../../src/cluster/kube/status.ts";
import { kubectl, suiteKube, unique } from "./helpers.ts";
import { CONFORMANCE } from "../helpers/conformance.ts";

const EXAMPLES = `${CONFORMANCE}kubernetes-nmstate/examples/`;

interface Example {
  file: string;
  object: { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
}

const examples: Example[] = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .flatMap((file) => parseAllDocuments(readFileSync(join(EXAMPLES, file), "utf8")).map((d) => ({ file, object: d.toJS() as Example["object"] })));

describe("upstream example policies round-trip", () => {
  const kube = suiteKube();
  const policies = policyClient(kube);
  const suffix = unique("rt").slice(3);
  const created: string[] = [];
  after(async () => {
    for (const name of created) await policies.delete(name);
  });

  test(`all ${examples.length} examples exist`, () => assert.ok(examples.length >= 18));

  for (const version of ["v1", "v1beta1"]) {
    test(`kubectl create of every example as nmstate.io/${version}, read back with spec unchanged`, async () => {
      for (const { file, object } of examples) {
        const name = `${object.metadata.name}-${version}-${suffix}`;
        const manifest = { ...object, apiVersion: `nmstate.io/${version}`, metadata: { name } };
        const created1 = await kubectl(["create", "-f", "-", "-o", "json"], { input: JSON.stringify(manifest) });
        assert.equal(created1.code, 0, `${file}: ${created1.stderr}`);
        created.push(name);
        const raw = await kubectl(["get", `nodenetworkconfigurationpolicies.${version}.nmstate.io`, name, "-o", "json"]);
        assert.equal(raw.code, 0, raw.stderr);
        assert.deepEqual((JSON.parse(raw.stdout) as Example["object"]).spec, object.spec, `${file} as ${version}`);
        const typed = await policies.get(name);
        assert.deepEqual(typed?.spec, object.spec, `${file} through the typed client`);
      }
    });
  }
});

describe("printer columns", () => {
  const kube = suiteKube();

  test("kubectl get nncp shows Status and Reason from the True condition, then nodenet's Max Unavailable", async () => {
    const policies = policyClient(kube);
    const name = unique("columns");
    await policies.create({ metadata: { name }, spec: { desiredState: { interfaces: [] }, maxUnavailable: "150%" } });
    after(() => policies.delete(name).then(() => undefined));
    await patchStatus(policies, name, {
      maxUnavailableNodes: 3,
      conditions: setConditions(undefined, [
        { type: "Available", status: "True", reason: "SuccessfullyConfigured", message: "1/1 nodes successfully configured" },
        { type: "Degraded", status: "False", reason: "SuccessfullyConfigured" },
        { type: "Progressing", status: "False", reason: "SuccessfullyConfigured" },
      ]),
    });
    const table = await kubectl(["get", "nncp", name]);
    assert.equal(table.code, 0, table.stderr);
    process.stdout.write(`# kubectl get nncp ${name}\n${table.stdout.replace(/^/gm, "# ")}`);
    const [header, row] = table.stdout.trim().split("\n");
    assert.deepEqual(header?.split(/\s{2,}/), ["NAME", "STATUS", "REASON", "MAX UNAVAILABLE"]);
    assert.deepEqual(row?.split(/\s+/), [name, "Available", "SuccessfullyConfigured", "3"]);
  });

  test("kubectl get nnce shows Status, Status Age and Reason (and nodenet's Address); nns has upstream's (none)", async () => {
    const enactments = enactmentClient(kube);
    const name = `${unique("node")}.${unique("policy")}`;
    await enactments.create({ metadata: { name, labels: { "nmstate.io/node": name.split(".")[0]!, "nmstate.io/policy": name.split(".")[1]! } } });
    after(() => enactments.delete(name).then(() => undefined));
    const now = new Date(Date.now() - 90_000);
    await patchStatus(enactments, name, {
      policyGeneration: 1,
      conditions: setConditions(undefined, [
        { type: "Failing", status: "True", reason: "FailedToConfigure", message: "default gateway 192.0.2.1 unreachable via br0 after 20s; rolled back" },
        { type: "Available", status: "False", reason: "FailedToConfigure" },
      ], now),
    });
    const ageBefore = Math.floor((Date.now() - now.getTime()) / 1000);
    const table = await kubectl(["get", "nnce", name]);
    const ageAfter = Math.ceil((Date.now() - now.getTime()) / 1000);
    assert.equal(table.code, 0, table.stderr);
    process.stdout.write(`# kubectl get nnce\n${table.stdout.replace(/^/gm, "# ")}`);
    const [header, row] = table.stdout.trim().split("\n");
    assert.match(header ?? "", /^NAME\s+STATUS\s+STATUS AGE\s+REASON\s+ADDRESS$/);
    const cells = new RegExp(`^${name.replace(".", "\\.")}\\s+Failing\\s+(\\d+)s\\s+FailedToConfigure\\s*$`).exec(row ?? "");
    assert.ok(cells, `row: ${row}`);
    // The age is the transition time's, so it lies between the two clock readings around kubectl (load only widens the window).
    const age = Number(cells[1]);
    assert.ok(age >= ageBefore - 1 && age <= ageAfter + 1, `STATUS AGE ${age}s outside ${ageBefore}–${ageAfter}s`);
    assert.equal(kubeTime(now).length, 20);

    const states = nodeStateClient(kube);
    const node = unique("node");
    await states.create({ metadata: { name: node } });
    after(() => states.delete(node).then(() => undefined));
    const nns = await kubectl(["get", "nns", node]);
    assert.match(nns.stdout.split("\n")[0] ?? "", /^NAME\s+AGE$/);
  });

  test("kubectl get nncp,nnce,nns works (short names)", async () => {
    const all = await kubectl(["get", "nncp,nnce,nns"]);
    assert.equal(all.code, 0, all.stderr);
  });
});
