/**
 * What a lab's network looks like now: the state file, checked against the
 * host (do the namespaces exist, are the processes alive, what addresses do
 * the nodes hold). For `nodenet lab status [--json]`.
 */
import { existsSync, readdirSync } from "node:fs";
import { ip, run } from "../../host/kernel/exec.ts";
import { labsRoot, labNetworkPaths } from "./paths.ts";
import { checkLabName, labNamespacePattern } from "./plan.ts";
import { isRecordedProcess } from "./processes.ts";
import { readRecord, type LabNetworkRecord, type LabProcessRole } from "./record.ts";

export interface LabNodeStatus {
  name: string;
  netns: string;
  exists: boolean;
  /** The address DHCP reserves for eth0. */
  reservedAddress: string;
  macs: { eth0: string; eth1: string };
  /** IPv4 addresses per interface as the kernel shows them (`ip -4 addr`), loopback left out. */
  addresses: Record<string, string[]>;
  defaultGateway?: string;
}

export interface LabProcessStatus {
  role: LabProcessRole;
  pid: number;
  netns?: string;
  alive: boolean;
  command: string;
  log: string;
}

export type LabNetworkStatus =
  | { name: string; recorded: false; leftoverNamespaces: string[] }
  | {
      name: string;
      recorded: true;
      phase: LabNetworkRecord["phase"];
      createdAt: string;
      stateFile: string;
      apiPort: number;
      api: { address: string; port: number; hostname: string };
      namespaces: { name: string; exists: boolean }[];
      nodes: LabNodeStatus[];
      processes: LabProcessStatus[];
      /** Ready, every namespace there and every process alive. */
      healthy: boolean;
    };

async function namespacesNow(): Promise<string[]> {
  const { stdout } = await run("ip", ["-json", "netns", "list"]);
  return stdout.trim() ? (JSON.parse(stdout) as { name: string }[]).map((n) => n.name) : [];
}

interface IpAddrLink {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Equivalent to: `ip -n NS -json -batch -` with `address show` and `route show default`. */
async function nodeAddressing(netns: string): Promise<{ addresses: Record<string, string[]>; gateway?: string }> {
  const { stdout } = await ip(netns, ["-json", "-batch", "-"], { input: "address show\nroute show default\n" });
  const [addrLine, routeLine] = stdout.trim().split("\n");
  const links = JSON.parse(addrLine ?? "[]") as IpAddrLink[];
  const routes = JSON.parse(routeLine ?? "[]") as { gateway?: string }[];
  const addresses: Record<string, string[]> = {};
  for (const link of links) {
    if (link.ifname === "lo") continue;
    addresses[link.ifname] = (link.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
  }
  const gateway = routes.find((r) => r.gateway)?.gateway;
  return gateway ? { addresses, gateway } : { addresses };
}

export async function labNetworkStatus(name: string): Promise<LabNetworkStatus> {
  checkLabName(name);
  const paths = labNetworkPaths(name);
  const record = readRecord(paths.stateFile);
  const present = await namespacesNow();
  if (!record) return { name, recorded: false, leftoverNamespaces: present.filter((n) => labNamespacePattern(name).test(n)) };
  const namespaces = record.namespaces.map((n) => ({ name: n, exists: present.includes(n) }));
  const nodes = await Promise.all(
    record.plan.nodes.map(async (n): Promise<LabNodeStatus> => {
      const exists = present.includes(n.netns);
      const base = { name: n.name, netns: n.netns, exists, reservedAddress: n.address, macs: { eth0: n.nics[0].mac, eth1: n.nics[1].mac } };
      if (!exists) return { ...base, addresses: {} };
      const { addresses, gateway } = await nodeAddressing(n.netns).catch(() => ({ addresses: {}, gateway: undefined }));
      return { ...base, addresses, ...(gateway ? { defaultGateway: gateway } : {}) };
    }),
  );
  const processes = record.processes.map((p): LabProcessStatus => ({
    role: p.role,
    pid: p.pid,
    ...(p.netns ? { netns: p.netns } : {}),
    alive: isRecordedProcess(p),
    command: p.argv.join(" "),
    log: p.log,
  }));
  return {
    name,
    recorded: true,
    phase: record.phase,
    createdAt: record.createdAt,
    stateFile: paths.stateFile,
    apiPort: record.apiPort,
    api: { address: record.plan.api.address, port: record.plan.api.port, hostname: record.plan.api.hostname },
    namespaces,
    nodes,
    processes,
    healthy:
      record.phase === "ready" &&
      namespaces.every((n) => n.exists) &&
      (["dnsmasq", "forwarder-host", "forwarder-edge"] as const).every((role) => processes.some((p) => p.role === role && p.alive)),
  };
}

/** Plain-text rendering for `nodenet lab status`. */
export function formatLabNetworkStatus(s: LabNetworkStatus): string {
  if (!s.recorded) {
    return s.leftoverNamespaces.length
      ? `lab ${s.name}: no network state file, but namespaces ${s.leftoverNamespaces.join(", ")} exist ('nodenet lab down' removes them)`
      : `lab ${s.name}: no network`;
  }
  const lines = [
    `lab ${s.name}: ${s.healthy ? "healthy" : s.phase === "ready" ? "DEGRADED" : s.phase} (created ${s.createdAt})`,
    `  API server for nodes: ${s.api.hostname} = ${s.api.address}:${s.api.port} → host 127.0.0.1:${s.apiPort}`,
    "  nodes:",
  ];
  for (const n of s.nodes) {
    const addrs = Object.entries(n.addresses).map(([iface, a]) => `${iface} ${a.join(",") || "-"}`).join("  ");
    lines.push(`    ${n.name.padEnd(8)} ${n.netns.padEnd(20)} ${n.exists ? addrs + (n.defaultGateway ? `  gw ${n.defaultGateway}` : "  no default route") : "MISSING"}`);
  }
  lines.push("  namespaces:", ...s.namespaces.map((n) => `    ${n.name}${n.exists ? "" : "  MISSING"}`));
  lines.push("  processes:", ...s.processes.map((p) => `    ${p.role.padEnd(15)} pid ${String(p.pid).padEnd(8)} ${p.alive ? "running" : "NOT RUNNING"}  ${p.netns ? `in ${p.netns}` : "on the host"}  log ${p.log}`));
  return lines.join("\n");
}

/** Labs that have a network state file. */
export function listLabNetworks(): string[] {
  const root = labsRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => existsSync(labNetworkPaths(name).stateFile)).sort();
}
