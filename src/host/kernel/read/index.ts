/**
 * The kernel state reader behind `nodenet show`: what the kernel of a
 * network namespace (or of this process's own, when `netns` is undefined)
 * holds, as an nmstate NetworkState.
 *
 * Guarantees:
 * - A constant number of processes, however many interfaces there are:
 *   1. `ip -N -json -d -batch -` with `addr show` (links and addresses),
 *      routes of each family, IPv4 rules;            } in parallel
 *   2. `ip -N -json -d -6 rule show` (IPv6 rules);    }
 *   3. `xargs -0 grep` of the per-interface IP sysctls, inside the namespace;
 *   4. `bridge -json vlan show`, only when a bridge filters VLANs;
 *   5. `ip -N -d -o route show table all`, only when a route has a cwnd metric.
 *   (3-5 run in parallel, after 1.) The resolver file is read directly.
 * - Consistency: when iproute2 reports that the kernel changed during a dump
 *   ("Dump was interrupted and may be inconsistent"), everything is read
 *   again, a bounded number of times; then KernelReadError.
 * - Deterministic output: two reads of an unchanged host are deep-equal
 *   (interfaces sorted by name, ports by name, routes and rules by a total
 *   order; volatile values such as timers and lifetimes are not reported).
 *
 * Caveat: the dumps are separate snapshots; an interface created between the
 * link dump and the sysctl read simply lacks the sysctl-based keys.
 */
import type { NetworkState } from "../../../state/schema/index.ts";
import { bridgeVlans, InconsistentDumpError, ipJsonBatch, ipv6Rules, textRoutes, type IpLink, type IpRoute, type IpRule } from "./ipjson.ts";
import { readResolvConf } from "./dns.ts";
import { vlanFiltering } from "../kinds/linux-bridge.ts";
import { hasCwnd } from "./route.ts";
import { assembleSnapshot, type KernelSnapshot, type RawKernelState } from "./snapshot.ts";
import { readInterfaceSysctls } from "./sysctl.ts";

export type { KernelSnapshot, RawKernelState } from "./snapshot.ts";
export { assembleSnapshot } from "./snapshot.ts";

/** The main batch: one JSON array per line, in this order. */
export const MAIN_BATCH = [
  "addr show",
  "route show table all root 0.0.0.0/0",
  "route show table all root ::/0",
  "rule show",
] as const;

/** One consistent-or-not pass over the kernel. Throws InconsistentDumpError when a dump was interrupted. */
export async function readRaw(netns: string | undefined, options: ReadOptions = {}): Promise<RawKernelState> {
  const [[links, routes4, routes6, rules4], rules6, resolvConf] = await Promise.all([
    ipJsonBatch(netns, MAIN_BATCH) as Promise<[IpLink[], IpRoute[], IpRoute[], IpRule[]]>,
    ipv6Rules(netns),
    readResolvConf(netns, options.resolvConf),
  ]);
  const needVlans = links.some((l) => l.linkinfo?.info_kind === "bridge" && vlanFiltering(l));
  const needRouteText = hasCwnd(routes4) || hasCwnd(routes6);
  const [sysctls, vlans, routeText] = await Promise.all([
    readInterfaceSysctls(netns, options.sysctlsFor ? links.map((l) => l.ifname).filter((n) => options.sysctlsFor!.includes(n)) : links.map((l) => l.ifname)),
    needVlans ? bridgeVlans(netns) : undefined,
    needRouteText ? textRoutes(netns) : undefined,
  ]);
  const raw: RawKernelState = { links, routes: { v4: routes4, v6: routes6 }, rules: { v4: rules4, v6: rules6 }, sysctls };
  if (vlans) raw.bridgeVlans = vlans;
  if (routeText) raw.routeText = routeText;
  if (resolvConf) raw.resolvConf = resolvConf;
  return raw;
}

/** The kernel kept changing while it was read. */
export class KernelReadError extends Error {
  readonly attempts: number;

  constructor(netns: string | undefined, attempts: number, cause: unknown) {
    super(
      `could not read a consistent state of ${netns ? `namespace ${netns}` : "this host"}: the kernel changed during every one of ${attempts} reads (iproute2: "Dump was interrupted and may be inconsistent"); try again when it has settled`,
      { cause },
    );
    this.name = "KernelReadError";
    this.attempts = attempts;
  }
}

export interface ReadOptions {
  /**
   * Interfaces whose per-interface sysctls (IPv4 forwarding, IPv6 address
   * generation) to read; all when omitted. Reading them costs ~0.2 ms per
   * interface, which the apply path saves when no forwarding is declared.
   */
  sysctlsFor?: readonly string[];
  /** The resolver file to report, instead of the target's usual one (a handler in a container: the host's, mounted). */
  resolvConf?: string;
  /** Reads before giving up on an inconsistent dump (default 8). */
  attempts?: number;
  /** Pause before the first retry, doubled each time (default 25 ms; 8 attempts wait about 3 s in all). */
  retryDelayMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `read` until it does not throw InconsistentDumpError, at most
 * `attempts` times; other errors pass through at once.
 */
export async function withConsistentRetry<T>(
  netns: string | undefined,
  read: () => Promise<T>,
  options: ReadOptions = {},
): Promise<{ value: T; attempts: number }> {
  const attempts = Math.max(1, options.attempts ?? 8);
  const delay = options.retryDelayMs ?? 25;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await read(), attempts: attempt };
    } catch (error) {
      if (!(error instanceof InconsistentDumpError)) throw error;
      if (attempt >= attempts) throw new KernelReadError(netns, attempts, error);
      await sleep(delay * 2 ** (attempt - 1));
    }
  }
}

/** The NetworkState plus what the apply engine needs besides it (dynamic addresses, ifindexes, raw dumps). */
export async function readKernelSnapshot(netns: string | undefined, options: ReadOptions = {}): Promise<KernelSnapshot> {
  const { value, attempts } = await withConsistentRetry(netns, () => readRaw(netns, options), options);
  return assembleSnapshot(value, attempts);
}

/** `nodenet show`: the kernel's network state of `netns` (this process's namespace when undefined). */
export async function readKernelState(netns: string | undefined, options: ReadOptions = {}): Promise<NetworkState> {
  return (await readKernelSnapshot(netns, options)).state;
}
