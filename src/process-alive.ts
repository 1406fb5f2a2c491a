/**
 * Whether a PID is a live process. `kill(pid, 0)` alone also succeeds for a
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
