/**
 * Writes deploy/crds/*.yaml from the zod schemas. Run after changing
 * src/cluster/api: `npm run gen:crds` (or `node src/cluster/api/generate.ts`).
 * A unit test fails while the checked-in files differ from what this renders.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildCrds } from "./crds.ts";

export const CRD_DIR = new URL("../../../deploy/crds/", import.meta.url).pathname;

const HEADER = "# Generated from src/cluster/api by `npm run gen:crds`. Do not edit.\n";

/** File name → content, named as upstream names its CRD files. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of buildCrds()) {
    const [plural, ...group] = crd.metadata.name.split(".");
    files.set(`${group.join(".")}_${plural}.yaml`, `${HEADER}${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`);
  }
  return files;
}

export function writeCrdFiles(dir = CRD_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  return [...renderCrdFiles()].map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

if (import.meta.main) for (const file of writeCrdFiles()) process.stdout.write(`wrote ${file}\n`);
