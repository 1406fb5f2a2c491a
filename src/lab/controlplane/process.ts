/**
 * Detached processes the lab starts and must be able to stop later — from
 * another process, after the one that started them crashed.
 *
 * Guarantees: a ProcessRecord is enough to find the process again; `stop`
 * signals a PID only while it still runs the recorded binary and started at
 * the recorded time, so a recycled PID is never killed.
 */
import { spawn } from "node:child_process";
import { processStartTicks } from "../../process-alive.ts";
import { closeSync, openSync, readFileSync, readlinkSync, readdirSync } from "node:fs";

export interface ProcessRecord {
  /** Component name, e.g. "kube-apiserver". */
  name: string;
  pid: number;
  /** Absolute path of the executable (what /proc/PID/exe must point at). */
  binary: string;
  args: string[];
  /** Clock ticks since boot at which the process started (field 22 of /proc/PID/stat). */
  startTicks: number;
  log: string;
}

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

/**
 * Starts BINARY detached (own session, so a Ctrl-C of `lab up` does not reach
 * it and it outlives its parent), stdout and stderr appended to LOG.
 */
export function spawnDetached(name: string, binary: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ProcessRecord {
  const fd = openSync(log, "a");
  try {
    const child = spawn(binary, args, { detached: true, stdio: ["ignore", fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.on("error", () => undefined);
    child.unref();
    return { name, pid: child.pid, binary, args, startTicks: processStartTicks(child.pid) ?? 0, log };
  } finally {
    closeSync(fd);
  }
}

/** True while the recorded process runs (not a zombie) and is still the same process. */
export function isRunning(record: ProcessRecord): boolean {
  const ticks = processStartTicks(record.pid);
  if (ticks === undefined) return false;
  if (record.startTicks && ticks !== record.startTicks) return false;
  return exeOf(record.pid) === record.binary;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitGone(record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) return true;
    await sleep(50);
  }
  return !isRunning(record);
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. Returns how it ended. A record whose
 * PID no longer runs the recorded binary is left alone ("gone").
 */
export async function stopProcess(record: ProcessRecord, graceMs = 10_000): Promise<"gone" | "terminated" | "killed"> {
  if (!isRunning(record)) return "gone";
  try {
    process.kill(record.pid, "SIGTERM");
  } catch {
    return "gone";
  }
  if (await waitGone(record, graceMs)) return "terminated";
  try {
    process.kill(record.pid, "SIGKILL");
  } catch {
    return "gone";
  }
  await waitGone(record, 5_000);
  return "killed";
}

/** SIGKILL without grace, for tests that simulate a crash. */
export async function killProcess(record: ProcessRecord): Promise<void> {
  if (!isRunning(record)) return;
  process.kill(record.pid, "SIGKILL");
  await waitGone(record, 5_000);
}

/**
 * Processes whose executable is named one of `names` and that have an
 * argument under `dir`: what a crash left behind between spawning a process
 * and recording it (or a lost state file).
 */
export function findStrays(dir: string, names: readonly string[]): ProcessRecord[] {
  const strays: ProcessRecord[] = [];
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const exe = exeOf(pid);
    if (!exe || !names.includes(exe.slice(exe.lastIndexOf("/") + 1))) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean);
    } catch {
      continue;
    }
    if (!args.some((a) => a.includes(prefix))) continue;
    const startTicks = processStartTicks(pid);
    if (startTicks === undefined) continue;
    strays.push({ name: exe.slice(exe.lastIndexOf("/") + 1), pid, binary: exe, args: args.slice(1), startTicks, log: "" });
  }
  return strays;
}

/** The last lines of a log, for error messages. */
export function tailLog(path: string, lines = 15): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
