/**
 * The persisted record of a target (ADR 0011): every committed change is merged
 * into it, so `nodenet boot` can declare the same network after a reboot.
 * Pending changes never reach it — the commit path is the only writer.
 *
 * The file is a plain nmstate YAML state, written atomically: temp file,
 * fsync, rename over the old one, fsync of the directory. A crash leaves the
 * old record or the new one, never half of either.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname } from "node:path";
import { stringify } from "yaml";
import { NodenetError } from "../errors.ts";
import type { HostBackend } from "../host/backend.ts";
import { formatIssue, hasErrors } from "../state/issues.ts";
import { loadDesired } from "../state/load.ts";
import { mergeRecord, sameRecord } from "../state/record.ts";
import type { NetworkState } from "../state/schema/state.ts";

const HEADER = "# nodenet: what nodenet declared on this host, applied again by 'nodenet boot'.\n# Written on every committed change; edit with 'nodenet apply', not by hand.\n";

/** Reads a record; undefined when there is none yet. Throws invalid-input naming the file when it is unreadable or not a valid state. */
export function readRecord(file: string): NetworkState | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new NodenetError("invalid-input", `the persisted record ${file} cannot be read: ${(error as Error).message}`);
  }
  // An empty file is what a crash before any write of the very first record could leave — but the
  // rename makes that impossible, so an empty record was truncated by something else: refuse it.
  if (!text.trim()) throw new NodenetError("invalid-input", `the persisted record ${file} is empty (truncated?); nothing applied`);
  const loaded = loadDesired([{ file, text }]);
  if (!loaded.state || hasErrors(loaded.issues)) {
    const errors = loaded.issues.filter((i) => i.severity === "error").map((i) => `  ${formatIssue(i)}`);
    throw new NodenetError("invalid-input", `the persisted record ${file} is corrupt; nothing applied:\n${errors.join("\n")}`, { issues: loaded.issues });
  }
  return loaded.state;
}

export function writeRecord(file: string, state: NetworkState): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${dir}/.${basename(file)}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, HEADER + stringify(state, { lineWidth: 0, aliasDuplicateObjects: false }));
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, file);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Merges a committed declaration into the target's record. The change is
 * already committed on the host: a record that cannot be written is reported
 * (the returned warning), not a reason to undo a good change. A corrupt record
 * is kept aside as FILE.corrupt-TIME and a fresh one started from this change.
 */
export function persistCommitted(backend: Pick<HostBackend, "recordFile">, declared: NetworkState): string | undefined {
  const file = backend.recordFile;
  if (!file) return undefined;
  try {
    let record: NetworkState = {};
    let aside = "";
    try {
      record = readRecord(file) ?? {};
    } catch (error) {
      if (!(error instanceof NodenetError)) throw error;
      aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "")}`;
      renameSync(file, aside);
    }
    const next = mergeRecord(record, declared);
    if (!aside && existsSync(file) && sameRecord(next, record)) return undefined;
    writeRecord(file, next);
    return aside ? `the persisted record was corrupt; kept as ${aside}, a new one started from this change` : undefined;
  } catch (error) {
    return `the change is committed but the persisted record ${file} could not be written: ${(error as Error).message}; it will not survive a reboot`;
  }
}
