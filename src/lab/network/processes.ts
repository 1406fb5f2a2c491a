/**
 * The lab network's long-running processes (dnsmasq, the two forwarders),
 * started and stopped through the lab's supervisor (../supervisor.ts). Their
 * record keeps its own shape (`LabProcessRecord`: role, argv, namespace) since
 * it is what `lab down` reads back from the network's record file.
 */
import { processAlive, processStartTicks } from "../../process-alive.ts";
import { readCmdline, spawnLogged, stopAll, waitForLog as waitForProcessLog, type StopTarget } from "../supervisor.ts";
import type { LabProcessRecord, LabProcessRole } from "./record.ts";

export { findProcesses, readCmdline } from "../supervisor.ts";

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
  const { pid, startTicks } = spawnLogged(command[0]!, command.slice(1), options.log, { cwd: "/" });
  const record: LabProcessRecord = { role: options.role, pid, ...(options.netns ? { netns: options.netns } : {}), argv: options.argv, log: options.log };
  if (startTicks !== undefined) record.startTime = startTicks;
  options.onSpawned(record);
  return record;
}

/** Waits until the process's log matches `ready`; fails with the log when it exits first or time runs out. */
export function waitForLog(p: LabProcessRecord, ready: RegExp, timeoutMs: number): Promise<void> {
  return waitForProcessLog(p.role, p.pid, p.log, ready, timeoutMs);
}

/**
 * Stops processes: SIGTERM, up to `graceMs` to exit, then SIGKILL — each
 * signal only after `stillOurs()` says the PID still runs what we think.
 * Returns the PIDs that were running.
 */
export async function stopProcesses(targets: StopTarget[], graceMs = 2000): Promise<number[]> {
  const outcomes = await stopAll(targets, graceMs);
  return targets.filter((_, i) => outcomes[i] !== "gone").map((t) => t.pid);
}
