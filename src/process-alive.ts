/**
 * Whether a PID is a live process, and when it started (to tell a recycled
 * PID from the process recorded). `kill(pid, 0)` alone also succeeds for a
 * zombie — a process that died but was not yet reaped (its parent gone, init
 * slow to reap) — and a dead lock owner must not block the next one.
 */
import { readFileSync } from "node:fs";

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Clock ticks since boot at which PID started (field 22 of /proc/PID/stat); undefined when it is gone or a zombie. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : Number(fields[19]);
  } catch {
    return undefined;
  }
}
