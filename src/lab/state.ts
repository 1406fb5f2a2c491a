/**
 * The lab's state file: what `lab up` started and made, kept on disk (not in
 * the repository) so that `lab down` can undo it from another process, also
 * after `lab up` crashed. One directory per lab holds the state file and
 * every file the lab makes; `lab down` removes the directory.
 *
 *   $NODENET_LAB_ROOT (default /run/nodenet/lab)/NAME/state.json
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NodenetError } from "../errors.ts";
import { acquireLock, type Lock } from "../txn/lock.ts";
import type { ControlPlane } from "./controlplane/types.ts";
import type { LabNodes } from "./nodes.ts";

export interface LabState {
  version: 1;
  name: string;
  dir: string;
  createdAt: string;
  /** Written as soon as the first component is spawned. */
  controlPlane?: ControlPlane;
  nodes: LabNodes;
}

export const DEFAULT_LAB = "nodenet";

export function labRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.NODENET_LAB_ROOT ?? "/run/nodenet/lab";
}

/** Lab names become parts of file, namespace and certificate names: short DNS labels. */
export function checkLabName(name: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/.test(name)) {
    throw new NodenetError("invalid-input", `lab name "${name}": use 1–24 lowercase letters, digits and '-', starting and ending with a letter or digit`);
  }
  return name;
}

export const labDir = (name: string, root = labRoot()) => join(root, checkLabName(name));
const stateFile = (dir: string) => join(dir, "state.json");

export function readLabState(name: string, root = labRoot()): LabState | undefined {
  const file = stateFile(labDir(name, root));
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LabState;
  } catch (error) {
    throw new NodenetError("backend-failed", `the lab state file ${file} is unreadable (${(error as Error).message}); \`nodenet lab down --name ${name}\` still cleans up`);
  }
}

/** Atomic: a crash never leaves half a state file. */
export function writeLabState(state: LabState): void {
  mkdirSync(state.dir, { recursive: true, mode: 0o700 });
  const file = stateFile(state.dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function listLabs(root = labRoot()): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Removes the lab's directory, then the root and its parent if that left them empty. */
export function removeLabFiles(name: string, root = labRoot()): void {
  rmSync(labDir(name, root), { recursive: true, force: true });
  rmSync(`${labDir(name, root)}.lock`, { force: true });
  for (const dir of [root, dirname(root)]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (another lab, the host's checkpoints) or already gone
    }
  }
}

/** One `lab up`/`lab down` per lab at a time; a dead holder's lock is taken over. */
export function lockLab(name: string, root = labRoot()): Lock {
  return acquireLock(root, `lab "${checkLabName(name)}" (bringing it up or down)`, `${checkLabName(name)}.lock`);
}
