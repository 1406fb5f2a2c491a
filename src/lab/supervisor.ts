/**
 * The lab's one process supervisor: every long-running process the lab starts
 * (control plane, kubelet/containerd, node agents, handlers, controller,
 * dnsmasq, forwarders) is started, recognised and stopped here, so that it can
 * be stopped later from another process, after the one that started it died.
 *
 * Guarantees: a process is started detached (own session, so a Ctrl-C of
 * `lab up` does not reach it and it outlives its parent) with its output
 * appended to a log file; its PID and start time (clock ticks since boot) are
 * returned at once so the caller records them before waiting on anything;
 * and a PID is only ever signalled while it is still the process recorded —
 * same start time and binary (or command line) — so a recycled PID is never
 * killed. Callers keep their own record formats (the lab state file, the lab
 * network's record) because `lab down` reads records written by older runs.
 */
import { spawn } from "node:child_process";
import { processAlive, processStartTicks } from "../process-alive.ts";
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

export interface Spawned {
  pid: number;
  /** Undefined when the process is already gone (it failed at once: the readiness wait reports it). */
  startTicks: number | undefined;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts FILE ARGS detached, stdout and stderr appended to LOG; returns the PID to record. */
export function spawnLogged(file: string, args: string[], log: string, options: SpawnOptions = {}): Spawned {
  const fd = openSync(log, "a");
  try {
    const child = spawn(file, args, { detached: true, stdio: ["ignore", fd, fd], env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    // A failure to exec is reported through the readiness wait (no PID / process gone).
    child.on("error", () => undefined);
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    child.unref();
    return { pid: child.pid, startTicks: processStartTicks(child.pid) };
  } finally {
    closeSync(fd);
  }
}

/** Starts BINARY detached as component NAME and returns its record. */
export function spawnDetached(name: string, binary: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): ProcessRecord {
  const { pid, startTicks } = spawnLogged(binary, args, log, { env });
  return { name, pid, binary, args, startTicks: startTicks ?? 0, log };
}

export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "latin1");
    return raw ? raw.replace(/\0$/, "").split("\0") : undefined;
  } catch {
    return undefined;
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

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** A process to stop: its PID, and the identity check made before every signal. */
export interface StopTarget {
  pid: number;
  stillOurs: () => boolean;
}

/**
 * Stops processes together: SIGTERM, up to `graceMs` to exit, then SIGKILL to
 * those still running — each signal only while `stillOurs()` holds. Returns
 * how each target ended, in order.
 */
export async function stopAll(targets: StopTarget[], graceMs: number): Promise<("gone" | "terminated" | "killed")[]> {
  const running = targets.map((t) => t.stillOurs());
  targets.forEach((t, i) => running[i] && signal(t.pid, "SIGTERM"));
  const pending = () => targets.some((t, i) => running[i] && t.stillOurs());
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pending()) await sleep(20);
  const killed = targets.map((t, i) => running[i]! && t.stillOurs());
  targets.forEach((t, i) => killed[i] && signal(t.pid, "SIGKILL"));
  for (let i = 0; i < 250 && pending(); i++) await sleep(20);
  return targets.map((_, i) => (killed[i] ? "killed" : running[i] ? "terminated" : "gone"));
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. Returns how it ended. A record whose
 * PID no longer runs the recorded binary is left alone ("gone").
 */
export async function stopProcess(record: ProcessRecord, graceMs = 10_000): Promise<"gone" | "terminated" | "killed"> {
  const [outcome] = await stopAll([{ pid: record.pid, stillOurs: () => isRunning(record) }], graceMs);
  return outcome!;
}

/** SIGKILL without grace, for tests that simulate a crash. */
export async function killProcess(record: ProcessRecord): Promise<void> {
  await stopAll([{ pid: record.pid, stillOurs: () => isRunning(record) }], 0);
}

/** Waits until LOG matches `ready`; fails with the log's tail when PID exits first or time runs out. */
export async function waitForLog(what: string, pid: number, log: string, ready: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readLogText(log);
    if (ready.test(text)) return;
    // Alive, not the full identity: /proc/PID/cmdline reads empty while `ip netns exec` execs the program.
    if (!processAlive(pid)) throw new Error(`${what} (pid ${pid}) exited during start-up:\n${lastLines(text, 10)}`);
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pid}) did not become ready within ${timeoutMs} ms:\n${lastLines(text, 10)}`);
    await sleep(20);
  }
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
    const args = readCmdline(pid);
    if (!args || !args.some((a) => a.includes(prefix))) continue;
    const startTicks = processStartTicks(pid);
    if (startTicks === undefined) continue;
    strays.push({ name: exe.slice(exe.lastIndexOf("/") + 1), pid, binary: exe, args: args.slice(1), startTicks, log: "" });
  }
  return strays;
}

function readLogText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

const lastLines = (text: string, lines: number) => text.trimEnd().split("\n").slice(-lines).join("\n");

/** The last lines of a log, for error messages. */
export function tailLog(path: string, lines = 15): string {
  const text = readLogText(path);
  return text ? lastLines(text, lines) : "(no log)";
}
