/**
 * The watchdog makes "roll back unless committed in time" survive the death of
 * the process that applied the change (kill -9, OOM, a reboot of the agent):
 * it is a separate, detached process started before anything is changed,
 * which sleeps until the checkpoint's deadline and then, if that same
 * checkpoint is still pending, rolls it back. Committing removes the
 * checkpoint and stops the watchdog. See docs/adr/0002-rollback-watchdog.md.
 * The backend starts it (HostBackend.startWatchdog); the loop is generic.
 *
 * Guarantees: it acts only on the target it was started for (a namespace
 * deleted and re-created under the same name is left alone); it rolls back
 * at the deadline even when the checkpoint directory has become read-only
 * (it cannot take the lock there, but neither can anyone else); it never
 * waits for a checkpoint whose applier died before writing it.
 */
import { readFileSync, rmSync } from "node:fs";
import type { HostBackend } from "../host/backend.ts";
import { NodenetError } from "../errors.ts";
import { processAlive, processStartTicks } from "../process-alive.ts";
import { readCheckpoint, removeCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { lockTarget, type Lock } from "./lock.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a watchdog waits for its applier to write the checkpoint (normally milliseconds). */
const CHECKPOINT_APPEARS_WITHIN_MS = 60_000;

/** Stops a watchdog, making sure the PID still belongs to the watchdog of this checkpoint. */
export function stopWatchdog(pid: number | undefined, checkpointId: string): void {
  if (!pid) return;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    if (!cmdline.includes("internal-watchdog") || !cmdline.includes(checkpointId)) return;
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}

/** Whether the watchdog recorded in a checkpoint is still the live process it was. */
export function watchdogAlive(checkpoint: Checkpoint): boolean {
  const pid = checkpoint.watchdogPid;
  if (!pid || !processAlive(pid)) return false;
  return checkpoint.watchdogStartTicks === undefined || processStartTicks(pid) === checkpoint.watchdogStartTicks;
}

export interface WatchdogOptions {
  applierPid?: number;
  /** Rolls the checkpoint back (transaction.rollbackCheckpoint; passed in to keep this module below the transaction). */
  rollback(checkpoint: Checkpoint): Promise<void>;
  log?(message: string): void;
}

export async function runWatchdog(backend: HostBackend, checkpointId: string, options: WatchdogOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  let seen = false;
  for (;;) {
    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = readCheckpoint(backend.checkpointDir);
    } catch (error) {
      log((error as Error).message);
      checkpoint = undefined;
      if (seen) {
        await sleep(1000);
        continue;
      }
    }
    if (!checkpoint || checkpoint.id !== checkpointId) {
      const applierAlive = options.applierPid !== undefined && processAlive(options.applierPid);
      if (!seen && applierAlive && Date.now() - started < CHECKPOINT_APPEARS_WITHIN_MS) {
        await sleep(50);
        continue;
      }
      return; // committed, rolled back, replaced — or never written
    }
    seen = true;
    if (checkpoint.deadline === null) return;
    const wait = checkpoint.deadline - Date.now();
    if (wait > 0) {
      await sleep(Math.min(wait, 1000));
      continue;
    }
    const gone = backend.targetGone?.();
    if (gone) {
      log(`${gone}: the change pending there went with it; nothing to roll back`);
      try {
        removeCheckpoint(backend.checkpointDir, checkpointId);
        if (backend.checkpointDir !== backend.stateDir) rmSync(backend.checkpointDir, { recursive: true, force: true });
      } catch (error) {
        log((error as Error).message);
      }
      return;
    }
    let lock: Lock | undefined;
    try {
      lock = lockTarget(backend);
    } catch (error) {
      if (error instanceof NodenetError && error.kind === "busy") {
        // The applying process is still at work; it will finish or die.
        await sleep(500);
        continue;
      }
      // A read-only or full state directory: no one can take the lock, so rolling back without it races nobody.
      log(`rolling back without the lock: ${(error as Error).message}`);
    }
    try {
      const still = readCheckpoint(backend.checkpointDir);
      if (still?.id === checkpointId) await options.rollback(still);
    } catch (error) {
      log((error as Error).message);
    } finally {
      lock?.release();
    }
    return;
  }
}
