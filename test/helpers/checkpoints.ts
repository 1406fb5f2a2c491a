/** Finding nodenet's checkpoints and watchdogs of a test namespace from the outside (files and /proc), as an operator would. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { netnsIdentity, transactionDirOf } from "../../src/host/kernel/netns-identity.ts";
import { stateRoot } from "../../src/host/kernel/paths.ts";
import type { Checkpoint } from "../../src/txn/checkpoint.ts";

/** The directory holding the namespace's lock and checkpoint (root: a NODENET_STATE_DIR the test chose). */
export function checkpointDirOf(netns: string, root = stateRoot()): string {
  const identity = netnsIdentity(netns);
  if (!identity) throw new Error(`namespace ${netns} does not exist`);
  return transactionDirOf(root, identity);
}

export function readPending(dir: string): Checkpoint | undefined {
  const file = join(dir, "checkpoint.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Checkpoint) : undefined;
}

/** PIDs of running `nodenet internal-watchdog` processes whose checkpoint directory is DIR. */
export function watchdogsFor(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      const at = args.indexOf("--checkpoint-dir");
      if (args.includes("internal-watchdog") && at >= 0 && args[at + 1] === dir) pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

/** Waits for a condition, polling; fails with the message after timeoutMs. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL, ignoring a process already gone. */
export function kill9(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
