/**
 * The CRDs are generated from the zod schemas: the checked-in files must be
 * what the generator renders now, structural, and at least as accepting as
 * upstream's (every upstream spec/status field is there, with the same type).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { buildCrds, openApiSchema } from "./crds.ts";
import { CRD_DIR, renderCrdFiles } from "./generate.ts";
import { PolicySchema } from "./policy.ts";
import { ENACTMENT, NODE_STATE, POLICY } from "./resources.ts";
import { structuralProblems, type JsonSchema } from "./structural.ts";
import { CONFORMANCE } from "../../../test/helpers/conformance.ts";

const UPSTREAM = `${CONFORMANCE}kubernetes-nmstate/`;

test("deploy/crds is what `npm run gen:crds` renders (run it after changing src/cluster/api)", () => {
  const rendered = renderCrdFiles();
  const checkedIn = readdirSync(CRD_DIR).filter((f) => f.endsWith(".yaml")).sort();
  assert.deepEqual(checkedIn, [...rendered.keys()].sort(), "the set of CRD files differs");
  for (const [name, text] of rendered) assert.equal(readFileSync(join(CRD_DIR, name), "utf8"), text, `${name} is stale: run npm run gen:crds`);
});

test("every CRD schema is structural", () => {
  for (const crd of buildCrds()) {
    for (const version of crd.spec.versions as { schema: { openAPIV3Schema: JsonSchema } }[]) {
      assert.deepEqual(structuralProblems(version.schema.openAPIV3Schema), [], crd.metadata.name);
      assert.doesNotMatch(JSON.stringify(version.schema), /"\$schema"|"propertyNames"|"additionalProperties":false|"\$ref"/);
    }
  }
});

/** Every property path of upstream's schema with its type, e.g. `.spec.maxUnavailable: int-or-string`. */
function fieldTypes(schema: JsonSchema, path = ""): Map<string, string> {
  const out = new Map<string, string>();
  const type = schema["x-kubernetes-int-or-string"] ? "int-or-string" : String(schema.type);
  out.set(path || ".", `${type}${schema["x-kubernetes-preserve-unknown-fields"] ? "+preserve" : ""}`);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) for (const [p, t] of fieldTypes(sub, `${path}.${name}`)) out.set(p, t);
  if (schema.items) for (const [p, t] of fieldTypes(schema.items as JsonSchema, `${path}[]`)) out.set(p, t);
  if (typeof schema.additionalProperties === "object") for (const [p, t] of fieldTypes(schema.additionalProperties as JsonSchema, `${path}{}`)) out.set(p, t);
  return out;
}

for (const [file, resource] of [
  ["nmstate.io_nodenetworkconfigurationpolicies.yaml", POLICY],
  ["nmstate.io_nodenetworkconfigurationenactments.yaml", ENACTMENT],
  ["nmstate.io_nodenetworkstates.yaml", NODE_STATE],
] as const) {
  test(`${resource.kind}: every upstream field, same type, same names, versions and printer columns`, () => {
    const upstream = parse(readFileSync(join(UPSTREAM, "crds", file), "utf8")) as { spec: { names: unknown; scope: string; versions: { name: string; served: boolean; storage: boolean; additionalPrinterColumns?: unknown[]; schema: { openAPIV3Schema: JsonSchema } }[] } };
    const ours = buildCrds().find((c) => c.metadata.name === `${resource.plural}.nmstate.io`)!;
    assert.deepEqual(ours.spec.names, upstream.spec.names);
    assert.equal(ours.spec.scope, upstream.spec.scope);
    const ourVersions = ours.spec.versions as typeof upstream.spec.versions;
    assert.deepEqual(ourVersions.map((v) => [v.name, v.served, v.storage]), upstream.spec.versions.map((v) => [v.name, v.served, v.storage]));
    // upstream's columns first, in order; nodenet may add its own after them
    for (const [i, version] of upstream.spec.versions.entries()) assert.deepEqual((ourVersions[i]!.additionalPrinterColumns ?? []).slice(0, version.additionalPrinterColumns?.length ?? 0), version.additionalPrinterColumns ?? []);
    const ourFields = fieldTypes(openApiSchema(resource));
    for (const [path, type] of fieldTypes(upstream.spec.versions[0]!.schema.openAPIV3Schema)) {
      if (path.startsWith(".metadata")) continue;
      assert.equal(ourFields.get(path), type, `field ${path}`);
    }
  });
}

test("every upstream example policy parses with the policy schema, unchanged", () => {
  const dir = join(UPSTREAM, "examples");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      const raw = doc.toJS() as { spec: unknown };
      const parsed = PolicySchema.parse(raw);
      assert.deepEqual(parsed.spec, raw.spec, file);
    }
  }
});

test("nodenet extensions are typed: probes, drain, revertOnDelete", () => {
  const spec = { probes: { gateway: { enabled: false }, apiServer: { timeoutSeconds: 5 }, tcp: [{ host: "192.0.2.10", port: 443 }] }, drain: { enabled: true, timeoutSeconds: 300 }, revertOnDelete: true };
  assert.deepEqual(PolicySchema.parse({ metadata: { name: "p" }, spec }).spec, spec);
  assert.throws(() => PolicySchema.parse({ metadata: { name: "p" }, spec: { probes: { tcp: [{ host: "h", port: 70000 }] } } }));
});
