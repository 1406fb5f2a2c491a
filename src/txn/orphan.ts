/**
 * A checkpoint whose watchdog is gone (killed with kill -9, or lost with its
 * container) is guarded by nothing: left alone, the change would stay
 * pending for ever. Every nodenet command that acts on a target, and the
 * handler at start, look for one first: overdue, it is rolled back now; not
 * yet due, it gets a new watchdog for the time that is left.
 */
import type { HostBackend } from "../host/backend.ts";
import { NodenetError } from "../errors.ts";
import { processAlive, processStartTicks } from "../process-alive.ts";
import { readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { lockTarget } from "./lock.ts";
import { watchdogAlive } from "./watchdog.ts";

export type OrphanOutcome =
  | { action: "none" }
  | { action: "rolled-back"; checkpoint: Checkpoint; message: string }
  | { action: "watchdog-restarted"; checkpoint: Checkpoint; message: string }
  | { action: "discarded"; checkpoint: Checkpoint; message: string };

export async function recoverOrphanedCheckpoint(backend: HostBackend, rollback: (checkpoint: Checkpoint) => Promise<void>): Promise<OrphanOutcome> {
  const found = readCheckpoint(backend.checkpointDir);
  if (!found || watchdogAlive(found)) return { action: "none" };
  let lock;
  try {
    lock = lockTarget(backend);
  } catch (error) {
    // An apply at work holds the lock: it commits or rolls back itself.
    if (error instanceof NodenetError && error.kind === "busy") return { action: "none" };
    throw error;
  }
  try {
    const checkpoint = readCheckpoint(backend.checkpointDir);
    if (!checkpoint || watchdogAlive(checkpoint)) return { action: "none" };
    const since = `the change of ${checkpoint.createdAt} on ${backend.description}`;
    const watchdog = checkpoint.watchdogPid ? `its rollback watchdog (pid ${checkpoint.watchdogPid}) is gone` : "it has no rollback watchdog";
    if (checkpoint.netnsIdentity && backend.identity && checkpoint.netnsIdentity !== backend.identity) {
      removeCheckpoint(backend.checkpointDir, checkpoint.id);
      return { action: "discarded", checkpoint, message: `discarded ${since}: it was pending in an earlier namespace of that name, which is gone` };
    }
    const overdue = checkpoint.deadline !== null && checkpoint.deadline <= Date.now();
    if (overdue || !backend.startWatchdog) {
      await rollback(checkpoint);
      const due = checkpoint.deadline !== null ? `its deadline passed at ${new Date(checkpoint.deadline).toISOString()}` : "it had no deadline";
      return { action: "rolled-back", checkpoint, message: `rolled back ${since} now: ${watchdog} and ${due}` };
    }
    const pid = backend.startWatchdog(checkpoint.id, processAlive(checkpoint.applyPid) ? { applierPid: checkpoint.applyPid } : {});
    const ticks = processStartTicks(pid);
    writeCheckpoint(backend.checkpointDir, { ...checkpoint, watchdogPid: pid, ...(ticks !== undefined ? { watchdogStartTicks: ticks } : {}) });
    return { action: "watchdog-restarted", checkpoint, message: `${since} is still pending but ${watchdog}: started a new one (pid ${pid}); it rolls back at ${new Date(checkpoint.deadline!).toISOString()} unless committed` };
  } finally {
    lock.release();
  }
}
