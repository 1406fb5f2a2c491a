/**
 * A checkpoint is the revert state of a change, on disk, with the time by
 * which the change must be committed. While one exists, the target has a
 * change pending and no other apply may start.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NetworkState } from "../state/schema/state.ts";

export interface Checkpoint {
  id: string;
  createdAt: string;
  /** Epoch ms after which the watchdog rolls back; null for none. */
  deadline: number | null;
  /** The desired state that undoes the change. */
  revert: NetworkState;
  /** The change itself, for `nodenet rollback`/status output. */
  desired: NetworkState;
  /** The process that applied it, and the watchdog guarding it. */
  applyPid: number;
  watchdogPid?: number;
  /** The namespace the change is in (the watchdog needs it). */
  netns?: string;
}

const file = (stateDir: string) => join(stateDir, "checkpoint.json");

/** Written with fsync and an atomic rename, so a crash leaves the old or the new file, never half of one. */
export function writeCheckpoint(stateDir: string, checkpoint: Checkpoint): void {
  mkdirSync(stateDir, { recursive: true });
  const tmp = `${file(stateDir)}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(checkpoint));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file(stateDir));
}

export function readCheckpoint(stateDir: string): Checkpoint | undefined {
  if (!existsSync(file(stateDir))) return undefined;
  return JSON.parse(readFileSync(file(stateDir), "utf8")) as Checkpoint;
}

export function removeCheckpoint(stateDir: string, id: string): void {
  const current = readCheckpoint(stateDir);
  if (current?.id === id) rmSync(file(stateDir), { force: true });
}

export function newCheckpoint(fields: Omit<Checkpoint, "id" | "createdAt">): Checkpoint {
  return { id: randomUUID(), createdAt: new Date().toISOString(), ...fields };
}
