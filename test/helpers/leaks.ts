/**
 * The safety net behind every test's own cleanup: anything a test run left
 * behind (namespaces named with its run id, processes carrying its run id in
 * their environment) is removed here and reported as a failure, because a
 * leak is a bug in the code or test that made it.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export async function listNetns(): Promise<string[]> {
  const { stdout } = await execFileAsync("ip", ["-json", "netns", "list"]);
  const parsed = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]) : [];
  return parsed.map((n) => n.name);
}

/** Clock ticks since boot at which a process started (field 22 of /proc/PID/stat). */
function startTime(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

/** Processes that carry the run id and started after this runner (not, e.g., the UML guest's console relays). */
function processesWithRunId(runId: string): number[] {
  const pids: number[] = [];
  const since = startTime("self");
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (environ.includes(`NODENET_TEST_RUN=${runId}\0`) && startTime(Number(entry)) >= since) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export async function sweepLeftovers(runId: string): Promise<string[]> {
  const leaks: string[] = [];
  // Our own children (e.g. a test's process that is still exiting) get a moment.
  await new Promise((r) => setTimeout(r, 200));
  // Inside the UML guest everything ends with the guest; its console relays carry the run id too.
  const pids = process.env.NODENET_UML === "1" ? [] : processesWithRunId(runId);
  for (const pid of pids) {
    let command = "";
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ").trim();
    } catch {
      continue;
    }
    if (command.includes("test/run.ts")) continue; // the runner's parents (e.g. inside UML)
    leaks.push(`leaked process ${pid}: ${command}`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const name of await listNetns()) {
    if (!name.includes(`-${runId}-`)) continue;
    leaks.push(`leaked network namespace ${name}`);
    await execFileAsync("ip", ["netns", "delete", name]).catch(() => undefined);
  }
  return leaks;
}
