/**
 * A checkpoint is the revert state of a change, on disk, with the time by
 * which the change must be committed. While one exists, the target has a
 * change pending and no other apply may start.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NetworkState } from "../state/schema/state.ts";
import { ensureDir, inStateDir } from "./state-dir.ts";

export interface Checkpoint {
  id: string;
  createdAt: string;
  /** Epoch ms after which the watchdog rolls back; null for none. */
  deadline: number | null;
  /** The desired state that undoes the change. */
  revert: NetworkState;
  /** The change itself, for `nodenet rollback`/status output. */
  desired: NetworkState;
  /** The process that applied it, and the watchdog guarding it (PID and start time, to tell a recycled PID from it). */
  applyPid: number;
  watchdogPid?: number;
  watchdogStartTicks?: number;
  /** The namespace the change is in (the watchdog needs it), and its identity (src/host/kernel/netns-identity.ts). */
  netns?: string;
  netnsIdentity?: string;
  /** The target's routes as the kernel listed them before the change (HostBackend.routeListing), to say what a rollback could not restore. */
  routesBefore?: string[];
  /** Applied with --memory-only: its commit leaves the persisted record alone. */
  memoryOnly?: boolean;
}

const file = (dir: string) => join(dir, "checkpoint.json");

/**
 * Written with fsync and an atomic rename, so a crash leaves the old or the
 * new file, never half of one; a write that fails (disk full) leaves no
 * temporary file behind.
 */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const tmp = `${file(dir)}.${process.pid}.tmp`;
  inStateDir(dir, "save the checkpoint", () => {
    ensureDir(dir);
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, JSON.stringify(checkpoint));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file(dir));
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  });
}

export function readCheckpoint(dir: string): Checkpoint | undefined {
  return inStateDir(dir, "read the checkpoint", () => {
    if (!existsSync(file(dir))) return undefined;
    const text = readFileSync(file(dir), "utf8");
    try {
      return JSON.parse(text) as Checkpoint;
    } catch {
      throw new Error(`${file(dir)} is not a checkpoint nodenet wrote (not JSON); move it away to continue`);
    }
  });
}

export function removeCheckpoint(dir: string, id: string): void {
  const current = readCheckpoint(dir);
  if (current?.id === id) inStateDir(dir, "remove the checkpoint", () => rmSync(file(dir), { force: true }));
}

export function newCheckpoint(fields: Omit<Checkpoint, "id" | "createdAt">): Checkpoint {
  return { id: randomUUID(), createdAt: new Date().toISOString(), ...fields };
}
