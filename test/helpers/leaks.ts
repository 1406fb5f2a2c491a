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

function processesWithRunId(runId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (environ.includes(`NODENET_TEST_RUN=${runId}\0`)) pids.push(Number(entry));
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
  for (const pid of processesWithRunId(runId)) {
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
