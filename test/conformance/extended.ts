/**
 * Classifies an extended-corpus document as `nodenet validate` would against
 * one fixed current state (see src/state/conformance-extended.test.ts).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { formatPath, type Issue } from "../../src/state/issues.ts";
import { loadDesired } from "../../src/state/load.ts";
import type { NetworkState } from "../../src/state/schema/state.ts";
import { validate } from "../../src/state/validate/index.ts";
import { CONFORMANCE } from "../helpers/conformance.ts";

export const EXTENDED = join(CONFORMANCE, "extended");

export const EXTENDED_HOST: NetworkState = {
  interfaces: [0, 1, 2, 3, 4, 5].map((i) => ({
    name: `eth${i}`,
    type: "ethernet" as const,
    state: "up" as const,
    "mac-address": `02:00:00:00:00:0${i}`,
    ipv4: { enabled: false },
    ipv6: { enabled: false },
  })),
  routes: { running: [], config: [] },
};

export type Class = "accepted" | "unsupported" | "refused";
interface Outcome {
  class: Class;
  fields: string[];
  issues: Issue[];
}

/** What `nodenet validate` concludes for one document against EXTENDED_HOST. */
export function classify(file: string, text: string): Outcome {
  const loaded = loadDesired([{ file, text }], { current: () => EXTENDED_HOST });
  const issues = [...loaded.issues];
  const checkable = loaded.state ?? loaded.partial;
  if (checkable) issues.push(...loaded.relocate(validate(checkable, EXTENDED_HOST).issues));
  const errors = issues.filter((i) => i.severity === "error");
  const fields = [...new Set(errors.map((i) => formatPath(i.path)))].sort();
  if (!errors.length) return { class: "accepted", fields: [], issues };
  return { class: errors.every((i) => i.kind === "unsupported") ? "unsupported" : "refused", fields, issues: errors };
}

export function corpusFiles(): string[] {
  return ["nmstate", "knmstate"].flatMap((dir) => readdirSync(join(EXTENDED, dir)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `${dir}/${f}`));
}

