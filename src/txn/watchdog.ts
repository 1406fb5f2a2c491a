/**
 * The watchdog makes "roll back unless committed in time" survive the death of
 * the process that applied the change (kill -9, OOM, a reboot of the agent):
 * it is a separate, detached process started before anything is changed,
 * which sleeps until the checkpoint's deadline and then, if that same
 * checkpoint is still pending, rolls it back. Committing removes the
 * checkpoint and stops the watchdog. See docs/adr/0002-rollback-watchdog.md.
 * The backend starts it (HostBackend.startWatchdog); stopping is generic.
 */
import { readFileSync } from "node:fs";

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
