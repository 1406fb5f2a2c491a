/**
 * Builds a lab's simulated network (see plan.ts for the picture):
 *
 *   record + `ip netns add` (one batch) → cable the switch (one batch in L-sw)
 *   → router, edge, nodes' loopback (one batch each, in parallel)
 *   → dnsmasq, host forwarder, edge forwarder (in parallel, each waited for)
 *   → nodenet configures every node's eth0 by DHCP (applyState with probes, in parallel)
 *
 * Every namespace and process is in the state file before (namespaces) or the
 * moment (processes) it exists, so `destroyLabNetwork` cleans up after a crash
 * at any point. A failure destroys what was made unless `keepOnFailure`.
 */
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { NodenetError } from "../../errors.ts";
import { ip, inNetns, run } from "../../host/kernel/exec.ts";
import { KernelBackend } from "../../host/kernel/backend.ts";
import { defaultStateDir, resolvConfPath } from "../../host/kernel/paths.ts";
import { runProbes } from "../../probe/runner.ts";
import { defaultProbeSettings, describeFailure } from "../../probe/types.ts";
import { applyState } from "../../txn/transaction.ts";
import { labNodeRecord } from "../node-record.ts";
import { destroyLabNetwork } from "./destroy.ts";
import { DNSMASQ_STARTED, dnsmasqLines } from "./dnsmasq.ts";
import { labNetworkPaths, type LabNetworkPaths } from "./paths.ts";
import {
  edgeBatch, labDnsmasqConfig, labNamespacePattern, labNamespaces, nodeBatch, nodeDesiredState, planLabNetwork, routerBatch, switchBatch,
  type LabNetworkPlan, type LabNodePlan,
} from "./plan.ts";
import { startDetached, waitForLog } from "./processes.ts";
import { RecordWriter, type LabNetworkRecord, type LabProcessRecord, type LabProcessRole } from "./record.ts";

export interface CreateLabNetworkOptions {
  name: string;
  nodes: number;
  /** Port of the real API server on the host's 127.0.0.1 (it need not be listening yet). */
  apiPort: number;
  onEvent?: (event: LabNetworkEvent) => void;
  /** Leave a half-built network in place (phase "failed") for inspection instead of destroying it. */
  keepOnFailure?: boolean;
  /** Nodes configured at once (default 8). */
  parallelism?: number;
}

/** Progress of `createLabNetwork`; `ms` is the time since creation began. */
export type LabNetworkEvent =
  | { type: "namespaces"; namespaces: string[]; ms: number }
  | { type: "cabled"; cables: number; ms: number }
  | { type: "addressed"; ms: number }
  | { type: "service"; role: LabProcessRole; pid: number; netns?: string; ms: number }
  | { type: "node"; node: string; netns: string; address: string; ms: number }
  | { type: "ready"; ms: number };

export function describeLabNetworkEvent(e: LabNetworkEvent): string {
  const at = `[${(e.ms / 1000).toFixed(2)}s]`;
  switch (e.type) {
    case "namespaces":
      return `${at} created ${e.namespaces.length} namespaces (${e.namespaces.join(", ")})`;
    case "cabled":
      return `${at} cabled ${e.cables} veth pairs to the switch`;
    case "addressed":
      return `${at} router at 192.0.2.1 / 198.51.100.1, control-plane edge at 192.0.2.2`;
    case "service":
      return `${at} started ${e.role} (pid ${e.pid}${e.netns ? ` in ${e.netns}` : " on the host"})`;
    case "node":
      return `${at} ${e.node}: eth0 ${e.address} by DHCP, configured by nodenet`;
    case "ready":
      return `${at} lab network ready`;
  }
}

export interface LabNetwork {
  name: string;
  plan: LabNetworkPlan;
  paths: LabNetworkPaths;
  record: LabNetworkRecord;
  /** How nodes reach the API server (put this address and the hostname in the serving certificate). */
  api: { address: string; port: number; hostname: string; url: string };
  elapsedMs: number;
}

const FORWARDER = new URL("./forwarder.ts", import.meta.url).pathname;
const FORWARDER_READY = /listening on /;

function forwarderArgv(listen: string, connect: string): string[] {
  return [process.execPath, "--disable-warning=ExperimentalWarning", FORWARDER, "--listen", listen, "--connect", connect];
}

async function existingNamespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["-json", "netns", "list"]);
  return stdout.trim() ? (JSON.parse(stdout) as { name: string }[]).map((n) => n.name) : [];
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  // Let every worker finish (so no apply is left running behind a failure), then report the first error.
  const results = await Promise.allSettled(workers);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * nodenet configures the node as it would any host: DHCP on eth0 with its
 * gateway and DNS probes. The API path is checked afterwards, not as an apply
 * probe: it cannot work before eth0 has an address, and a probe that fails
 * before the change is skipped after it (and costs the baseline's retries).
 */
export async function configureNode(plan: LabNetworkPlan, node: LabNodePlan): Promise<string> {
  // The node's "OS" network (eth0 by DHCP) is recorded like any declaration, on the node's own disk.
  const backend = new KernelBackend({ netns: node.netns, recordFile: labNodeRecord(plan.name, node.name) });
  await applyState(backend, nodeDesiredState(), { probes: defaultProbeSettings(), timeoutSeconds: 60 });
  const { stdout } = await ip(node.netns, ["-json", "-4", "address", "show", "dev", "eth0"]);
  const addresses = (JSON.parse(stdout) as { addr_info?: { local: string }[] }[]).flatMap((l) => l.addr_info ?? []).map((a) => a.local);
  if (!addresses.includes(node.address)) {
    throw new Error(`${node.name}: DHCP gave eth0 ${addresses.join(", ") || "no address"}, not its reserved ${node.address}`);
  }
  const [api] = await runProbes(node.netns, [{ kind: "tcp", host: plan.api.address, port: plan.api.port, timeoutMs: 5000 }]);
  if (!api?.ok) throw new Error(`${node.name}: ${api ? describeFailure(api) : "API probe did not run"}`);
  return node.address;
}

export async function createLabNetwork(options: CreateLabNetworkOptions): Promise<LabNetwork> {
  const started = Date.now();
  const ms = () => Date.now() - started;
  const emit = options.onEvent ?? (() => undefined);
  const plan = planLabNetwork(options.name, options.nodes);
  if (!Number.isInteger(options.apiPort) || options.apiPort < 1 || options.apiPort > 65535) {
    throw new NodenetError("invalid-input", `API server port must be 1–65535, not ${options.apiPort}`);
  }
  const paths = labNetworkPaths(plan.name);
  const pattern = labNamespacePattern(plan.name);
  const exists = (detail = "") => new NodenetError("invalid-input", `lab network "${plan.name}" already exists${detail}; destroy it first ('nodenet lab down')`);
  const leftovers = (await existingNamespaces()).filter((n) => pattern.test(n));
  if (leftovers.length) throw exists(` (namespaces ${leftovers.join(", ")})`);
  const recorder = RecordWriter.claim(paths.stateFile, {
    version: 1,
    name: plan.name,
    phase: "creating",
    createdAt: new Date().toISOString(),
    creatorPid: process.pid,
    apiPort: options.apiPort,
    plan,
    namespaces: [],
    processes: [],
    files: [],
  });
  if (!recorder) throw exists(` (${paths.stateFile})`);

  try {
    const namespaces = labNamespaces(plan);
    recorder.addNamespaces(namespaces);
    // nodenet keeps each node's DHCP client state and resolver file here.
    recorder.addFiles(plan.nodes.flatMap((n) => [dirname(resolvConfPath(n.netns)), defaultStateDir(n.netns)]));
    await run("ip", ["-batch", "-"], { input: namespaces.map((n) => `netns add ${n}`).join("\n") + "\n" });
    emit({ type: "namespaces", namespaces, ms: ms() });

    const sw = switchBatch(plan);
    await ip(plan.namespaces.switch, ["-batch", "-"], { input: sw.join("\n") + "\n" });
    emit({ type: "cabled", cables: sw.filter((l) => l.includes(" type veth ")).length, ms: ms() });

    const batch = (netns: string, lines: string[]) => ip(netns, ["-batch", "-"], { input: lines.join("\n") + "\n" });
    await Promise.all([
      batch(plan.namespaces.router, routerBatch(plan)),
      // The router routes between its segments, as a gateway does.
      inNetns(plan.namespaces.router, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]),
      batch(plan.namespaces.edge, edgeBatch(plan)),
      ...plan.nodes.map((n) => batch(n.netns, nodeBatch())),
    ]);
    emit({ type: "addressed", ms: ms() });

    writeFileSync(paths.dnsmasqConf, `# lab ${plan.name}: DHCP and DNS on the management and data segments (written by nodenet)\n${dnsmasqLines(labDnsmasqConfig(plan, { leaseFile: paths.dnsmasqLeases, pidFile: paths.dnsmasqPid })).join("\n")}\n`);
    const startService = async (role: LabProcessRole, argv: string[], netns: string | undefined, ready: RegExp): Promise<LabProcessRecord> => {
      const record = startDetached({ role, argv, ...(netns ? { netns } : {}), log: paths.log(role), onSpawned: (r) => recorder.addProcess(r) });
      await waitForLog(record, ready, 10_000);
      emit({ type: "service", role, pid: record.pid, ...(netns ? { netns } : {}), ms: ms() });
      return record;
    };
    const api = plan.api;
    await Promise.all([
      startService("dnsmasq", ["dnsmasq", "--keep-in-foreground", `--conf-file=${paths.dnsmasqConf}`], plan.namespaces.router, DNSMASQ_STARTED),
      startService("forwarder-host", forwarderArgv(`unix:${paths.apiSocket}`, `tcp:127.0.0.1:${options.apiPort}`), undefined, FORWARDER_READY),
      startService("forwarder-edge", forwarderArgv(`tcp:${api.address}:${api.port}`, `unix:${paths.apiSocket}`), plan.namespaces.edge, FORWARDER_READY),
    ]);

    await inParallel(plan.nodes, options.parallelism ?? 8, async (node) => {
      const address = await configureNode(plan, node);
      emit({ type: "node", node: node.name, netns: node.netns, address, ms: ms() });
    });

    recorder.setPhase("ready");
    emit({ type: "ready", ms: ms() });
    return {
      name: plan.name,
      plan,
      paths,
      record: recorder.record,
      api: { address: api.address, port: api.port, hostname: api.hostname, url: `https://${api.address}:${api.port}` },
      elapsedMs: ms(),
    };
  } catch (error) {
    recorder.setPhase("failed");
    const message = `creating lab network "${plan.name}" failed: ${(error as Error).message}`;
    if (options.keepOnFailure) throw new NodenetError("backend-failed", `${message}; left in place for inspection ('nodenet lab down' removes it)`, { cause: error });
    try {
      await destroyLabNetwork(plan.name);
    } catch (destroyError) {
      throw new NodenetError("backend-failed", `${message}; removing what was made also failed: ${(destroyError as Error).message}`, { cause: error });
    }
    throw new NodenetError("backend-failed", `${message}; everything it made was removed`, { cause: error });
  }
}
