/**
 * The lab's long-running processes (dnsmasq, the two forwarders): started
 * detached so they outlive `nodenet lab up`, with output to a log file, and
 * stopped only after /proc says the PID still runs the command we started.
 */
import { spawn } from "node:child_process";
import { processAlive, processStartTicks } from "../../process-alive.ts";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import type { LabProcessRecord, LabProcessRole } from "./record.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    return raw ? raw.replace(/\0$/, "").split("\0") : undefined;
  } catch {
    return undefined;
  }
}

/** Whether PID is the process the record describes (alive, same start time, argv ends with the recorded one). */
export function isRecordedProcess(p: LabProcessRecord): boolean {
  const cmdline = readCmdline(p.pid);
  if (!cmdline || !processAlive(p.pid)) return false;
  if (p.startTime !== undefined && processStartTicks(p.pid) !== p.startTime) return false;
  if (cmdline.length < p.argv.length) return false;
  const tail = cmdline.slice(cmdline.length - p.argv.length);
  return tail.every((arg, i) => arg === p.argv[i]);
}

export interface StartOptions {
  role: LabProcessRole;
  argv: string[];
  /** Run inside this namespace (`ip netns exec NS …`, which execs, so the PID stays the program's). */
  netns?: string;
  log: string;
  /** Called with the record as soon as the PID exists, before anything else can fail. */
  onSpawned: (record: LabProcessRecord) => void;
}

/** Starts a detached process and returns its record; the caller waits for readiness. */
export function startDetached(options: StartOptions): LabProcessRecord {
  const command = options.netns ? ["ip", "netns", "exec", options.netns, ...options.argv] : options.argv;
  const fd = openSync(options.log, "a");
  try {
    const child = spawn(command[0]!, command.slice(1), { detached: true, cwd: "/", stdio: ["ignore", fd, fd], env: process.env });
    child.on("error", () => undefined); // reported through the readiness wait (no PID / process gone)
    if (child.pid === undefined) throw new Error(`could not start ${command[0]}`);
    const record: LabProcessRecord = {
      role: options.role,
      pid: child.pid,
      ...(options.netns ? { netns: options.netns } : {}),
      argv: options.argv,
      log: options.log,
    };
    const startTime = processStartTicks(child.pid);
    if (startTime !== undefined) record.startTime = startTime;
    options.onSpawned(record);
    child.unref();
    return record;
  } finally {
    closeSync(fd);
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Waits until the process's log matches `ready`; fails with the log when it exits first or time runs out. */
export async function waitForLog(p: LabProcessRecord, ready: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = readLog(p.log);
    if (ready.test(log)) return;
    // Not isRecordedProcess: /proc/PID/cmdline reads empty while `ip netns exec` execs the program.
    if (!processAlive(p.pid)) throw new Error(`${p.role} (pid ${p.pid}) exited during start-up:\n${log.trim().split("\n").slice(-10).join("\n")}`);
    if (Date.now() > deadline) throw new Error(`${p.role} (pid ${p.pid}) did not become ready within ${timeoutMs} ms:\n${log.trim().split("\n").slice(-10).join("\n")}`);
    await sleep(20);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stops processes: SIGTERM, up to `graceMs` to exit, then SIGKILL — each
 * signal only after `stillOurs(pid)` says the PID still runs what we think.
 * Returns the PIDs that were running.
 */
export async function stopProcesses(targets: { pid: number; stillOurs: () => boolean }[], graceMs = 2000): Promise<number[]> {
  const running = targets.filter((t) => t.stillOurs());
  for (const t of running) signal(t.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && running.some((t) => t.stillOurs())) await sleep(20);
  for (const t of running) if (t.stillOurs()) signal(t.pid, "SIGKILL");
  for (let i = 0; i < 100 && running.some((t) => t.stillOurs()); i++) await sleep(20);
  return running.map((t) => t.pid);
}

/** Processes of the host whose command line satisfies `match` (a scan of /proc). */
export function findProcesses(match: (argv: string[]) => boolean): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const argv = readCmdline(Number(entry));
    if (argv && match(argv)) found.push({ pid: Number(entry), argv });
  }
  return found;
}
