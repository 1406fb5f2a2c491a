/**
 * The layering docs/architecture.md promises, checked on the source: `state/`
 * is pure and speaks no kernel syntax; `host/` does not reach up into the
 * transaction or the cluster. Test files are exempt (a unit test may drive a
 * pure function with a backend).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const SRC = new URL(".", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(SRC, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => relative(SRC, join(e.parentPath, e.name)));
}

const importsOf = (file: string) => [...readFileSync(join(SRC, file), "utf8").matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
const resolved = (file: string, spec: string) => (spec.startsWith(".") ? relative(SRC, join(SRC, file, "..", spec)) : spec);

test("state/ imports nothing with I/O: only itself, zod, yaml and the error kinds", () => {
  const bad = sources("state").flatMap((file) =>
    importsOf(file)
      .map((spec) => resolved(file, spec))
      .filter((target) => !(target.startsWith("state/") || target === "zod" || target === "yaml" || target === "errors.ts"))
      .map((target) => `${file} imports ${target}`),
  );
  assert.deepEqual(bad, []);
});

test("host/ does not import txn/, cluster/, lab/ or cli/", () => {
  const bad = sources("host").flatMap((file) =>
    importsOf(file)
      .map((spec) => resolved(file, spec))
      .filter((target) => /^(txn|cluster|lab|cli)\//.test(target))
      .map((target) => `${file} imports ${target}`),
  );
  assert.deepEqual(bad, []);
});
