/**
 * Where the compatibility inputs (../shared/conformance: real nmstate and
 * kubernetes-nmstate files nobody here wrote) are. Tests read them in place;
 * they are never copied into the repository.
 *
 * Looked for, in order: $NODENET_CONFORMANCE; `shared/conformance` beside the
 * checkout (the usual layout). Missing inputs fail the test file loudly,
 * naming where they were looked for.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

const REPO = new URL("../..", import.meta.url).pathname;

function find(): string {
  const candidates = [process.env.NODENET_CONFORMANCE, join(REPO, "../shared/conformance")].filter((c): c is string => Boolean(c));
  const found = candidates.find((dir) => existsSync(join(dir, "nmstate")) && existsSync(join(dir, "kubernetes-nmstate")));
  if (!found) throw new Error(`the conformance inputs are not at ${candidates.join(" nor ")}: set NODENET_CONFORMANCE to the shared/conformance directory`);
  return found;
}

/** Absolute path of the conformance directory, with a trailing slash. */
export const CONFORMANCE = `${find()}/`;
