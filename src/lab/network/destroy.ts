/**
 * Removes a lab's network from its state file and what the host shows, so it
 * works after the creating process crashed, after a previous destroy was
 * interrupted, and when nothing exists at all (idempotent).
 *
 *   1. the recorded processes: SIGTERM, then SIGKILL, each only while
 *      /proc/PID says it is still the recorded command; also lab processes the
 *      record missed (the crash window between spawn and record): a dnsmasq
 *      or forwarder whose command line names this lab's files, and nodenet
 *      rollback watchdogs for this lab's namespaces
 *   2. everything still running inside the lab's namespaces (`ip netns pids`:
 *      DHCP clients, handlers) — a namespace with a process left in it would
 *      outlive its deletion, with its cables
 *   3. the namespaces: recorded ones and any whose name matches the lab's
 *      naming exactly (`L-sw`, `L-rtr`, `L-cp`, `L-node-N`; not `L-x-…`, which
 *      is another lab's)
 *   4. files: /etc/netns/NS and nodenet's /run/nodenet/netns-NS for those
 *      namespaces, and the lab's network directory. The lab directory itself
 *      goes only when nothing else (the control plane) is left in it.
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { run } from "../../host/kernel/exec.ts";
import { defaultStateDir, resolvConfPath } from "../../host/kernel/paths.ts";
import { labDir, labNetworkPaths } from "./paths.ts";
import { checkLabName, labNamespacePattern } from "./plan.ts";
import { findProcesses, isRecordedProcess, readCmdline, stopProcesses } from "./processes.ts";
import { processStartTicks } from "../../process-alive.ts";
import { readRecord } from "./record.ts";

export interface DestroyReport {
  name: string;
  /** Whether there was a state file to work from. */
  hadRecord: boolean;
  processesStopped: { pid: number; command: string }[];
  namespacesDeleted: string[];
  filesRemoved: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FORWARDER = new URL("./forwarder.ts", import.meta.url).pathname;

async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["-json", "netns", "list"]);
  return stdout.trim() ? (JSON.parse(stdout) as { name: string }[]).map((n) => n.name) : [];
}

async function pidsIn(netns: string): Promise<number[]> {
  const { stdout } = await run("ip", ["netns", "pids", netns]).catch(() => ({ stdout: "" }));
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** SIGKILLs whatever runs inside the namespace until nothing does; returns what it killed. */
export async function emptyNamespace(netns: string): Promise<{ pid: number; command: string }[]> {
  const killed: { pid: number; command: string }[] = [];
  for (let round = 0; round < 100; round++) {
    const pids = await pidsIn(netns);
    if (!pids.length) return killed;
    for (const pid of pids) {
      if (round === 0) killed.push({ pid, command: (readCmdline(pid) ?? []).join(" ") });
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(20);
  }
  throw new Error(`processes in namespace ${netns} would not die: ${(await pidsIn(netns)).join(", ")}`);
}

export async function destroyLabNetwork(name: string): Promise<DestroyReport> {
  checkLabName(name);
  const paths = labNetworkPaths(name);
  const record = readRecord(paths.stateFile);
  const pattern = labNamespacePattern(name);
  const report: DestroyReport = { name, hadRecord: record !== undefined, processesStopped: [], namespacesDeleted: [], filesRemoved: [] };

  const existing = await listNamespaces();
  // Only names of this lab's own shape, whatever a (possibly damaged) state file lists.
  const namespaces = [...new Set([...(record?.namespaces ?? []), ...existing])].filter((n) => pattern.test(n));
  const nsSet = new Set(namespaces);

  // 1. Our processes: the recorded ones, and any the record may have missed.
  const targets = (record?.processes ?? []).map((p) => ({ pid: p.pid, command: p.argv.join(" "), stillOurs: () => isRecordedProcess(p) }));
  const isLabProcess = (argv: string[]) => {
    if (argv.includes(FORWARDER) && argv.some((a) => a === `unix:${paths.apiSocket}`)) return true;
    if (argv[0]?.endsWith("dnsmasq") && argv.includes(`--conf-file=${paths.dnsmasqConf}`)) return true;
    const netnsFlag = argv.indexOf("--netns");
    return argv.includes("internal-watchdog") && netnsFlag >= 0 && nsSet.has(argv[netnsFlag + 1] ?? "");
  };
  for (const stray of findProcesses(isLabProcess)) {
    if (targets.some((t) => t.pid === stray.pid)) continue;
    const startTime = processStartTicks(stray.pid);
    targets.push({
      pid: stray.pid,
      command: stray.argv.join(" "),
      stillOurs: () => {
        const now = readCmdline(stray.pid);
        return now !== undefined && isLabProcess(now) && processStartTicks(stray.pid) === startTime;
      },
    });
  }
  const stopped = new Set(await stopProcesses(targets));
  report.processesStopped.push(...targets.filter((t) => stopped.has(t.pid)).map(({ pid, command }) => ({ pid, command })));

  // 2 + 3. Empty and delete the namespaces.
  const present = namespaces.filter((n) => existing.includes(n));
  for (const netns of present) report.processesStopped.push(...(await emptyNamespace(netns)));
  if (present.length) await run("ip", ["-force", "-batch", "-"], { input: present.map((n) => `netns delete ${n}`).join("\n") + "\n" });
  const after = await listNamespaces();
  const stuck = present.filter((n) => after.includes(n));
  if (stuck.length) throw new Error(`could not delete namespaces ${stuck.join(", ")}`);
  report.namespacesDeleted.push(...present);

  // 4. Files: only paths derived from the lab's own namespace names, and its network directory.
  const etcNetns = dirname(resolvConfPath("x"));
  const stateRoot = dirname(defaultStateDir("x"));
  const found = [
    ...(existsSync(etcNetns) ? readdirSync(etcNetns).filter((n) => pattern.test(n)) : []),
    ...(existsSync(stateRoot) ? readdirSync(stateRoot).filter((n) => n.startsWith("netns-") && pattern.test(n.slice(6))).map((n) => n.slice(6)) : []),
  ];
  const allowed = new Set<string>();
  for (const netns of new Set([...namespaces, ...found])) {
    if (!pattern.test(netns)) continue;
    allowed.add(dirname(resolvConfPath(netns)));
    allowed.add(defaultStateDir(netns));
  }
  for (const file of record?.files ?? []) if (file.startsWith(paths.dir + "/")) allowed.add(file);
  allowed.add(paths.dir);
  for (const path of allowed) {
    if (!existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    report.filesRemoved.push(path);
  }
  try {
    rmdirSync(labDir(name));
    report.filesRemoved.push(labDir(name));
  } catch {
    // not there, or the control plane still keeps files in it
  }
  return report;
}

