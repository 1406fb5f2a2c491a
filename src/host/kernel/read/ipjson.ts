/**
 * The shapes of iproute2's `-json` output as the reader uses them (iproute2
 * 6.1, always run with `-N -d`: numeric tables, protocols, scopes and route
 * types, so /etc/iproute2/rt_* name files cannot change what we parse), and
 * the batched command runner.
 *
 * Everything here is typed loosely on purpose: iproute2 leaves out keys whose
 * netlink attribute is absent, and older/newer versions add keys.
 */
import { bridge, ip } from "../exec.ts";

export interface IpLinkInfo {
  info_kind?: string;
  info_data?: Record<string, unknown>;
  info_slave_kind?: string;
  info_slave_data?: Record<string, unknown>;
}

export interface IpAddrInfo {
  /** "inet" | "inet6" */
  family: string;
  local: string;
  /** The peer of a point-to-point address (`ip addr add A peer B`). */
  address?: string;
  prefixlen: number;
  scope?: string;
  dynamic?: boolean;
  tentative?: boolean;
  /** 4294967295 means forever. */
  valid_life_time?: number;
  preferred_life_time?: number;
}

/** One entry of `ip -json -details addr show`: the link and its addresses. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  /** The lower/peer link's name when it is in this namespace (veth peer, VLAN/MACVLAN base). */
  link?: string | null;
  /** Set instead of `link` when the lower/peer link is in another namespace. */
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  /** "ether", "loopback", … or with -N "[1]", "[772]", … */
  link_type?: string;
  address?: string;
  permaddr?: string;
  promiscuity?: number;
  min_mtu?: number;
  max_mtu?: number;
  ifalias?: string;
  linkinfo?: IpLinkInfo;
  addr_info?: IpAddrInfo[];
}

export interface IpNexthop {
  gateway?: string;
  via?: { family?: string; host?: string };
  dev?: string;
  /** Printed only when it is not 1. */
  weight?: number;
  flags?: string[];
}

export interface IpRoute {
  /** With -N: "1" unicast, "2" local, "3" broadcast, "4" anycast, "5" multicast, "6" blackhole, "7" unreachable, "8" prohibit, "9" throw … */
  type?: string;
  /** "default", a bare host address, or PREFIX/LEN. */
  dst: string;
  gateway?: string;
  via?: { family?: string; host?: string };
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  flags?: string[];
  nexthops?: IpNexthop[];
  /** One object; iproute2 does not say which metrics are locked (see route.ts). */
  metrics?: Array<Record<string, number>>;
  pref?: string;
}

export interface IpRule {
  priority?: number;
  /** "all" or an address; `srclen` is left out for host (/32, /128) prefixes. */
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
  /** With -N: "6" blackhole, "7" unreachable, "8" prohibit (the kernel's FR_ACT_* numbers). */
  action?: string;
  /** Hex text, e.g. "0x10". */
  fwmark?: string;
  fwmask?: string;
  iif?: string;
  oif?: string;
  suppress_prefixlen?: number;
  protocol?: string;
  [key: string]: unknown;
}

export interface BridgeVlanEntry {
  vlan: number;
  /** Present when iproute2 prints a range (newer versions, or `-c`). */
  vlanEnd?: number;
  flags?: string[];
}

export interface BridgeVlanPort {
  ifname: string;
  vlans?: BridgeVlanEntry[];
}

/**
 * Splits the concatenated JSON documents that `ip -json -batch -` prints (one
 * array per command, each followed by a newline; a command that failed prints
 * nothing) and parses each.
 */
export function parseJsonSequence(text: string): unknown[] {
  const out: unknown[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === " " || c === "\n" || c === "\r" || c === "\t") {
      i++;
      continue;
    }
    if (c !== "[" && c !== "{") {
      throw new Error(`unexpected ${JSON.stringify(text.slice(i, i + 20))} at offset ${i} of iproute2 JSON output`);
    }
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (inString) {
        if (ch === 0x5c) i++; // backslash: skip the escaped character
        else if (ch === 0x22) inString = false;
        continue;
      }
      if (ch === 0x22) inString = true;
      else if (ch === 0x5b || ch === 0x7b) depth++;
      else if (ch === 0x5d || ch === 0x7d) {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) throw new Error(`iproute2 JSON output ends inside a document (offset ${start})`);
    out.push(JSON.parse(text.slice(start, i)));
  }
  return out;
}

export const DUMP_INTERRUPTED = "Dump was interrupted";

/** The kernel changed while iproute2 dumped it (NLM_F_DUMP_INTR); iproute2 6.1 still exits 0. */
export function dumpWasInterrupted(stderr: string): boolean {
  return stderr.includes(DUMP_INTERRUPTED);
}

/** Thrown for one attempt whose dumps may be inconsistent; the reader retries. */
export class InconsistentDumpError extends Error {
  constructor(command: string) {
    super(`${command}: ${DUMP_INTERRUPTED.toLowerCase()} (the kernel changed during the dump)`);
    this.name = "InconsistentDumpError";
  }
}

/**
 * Runs several `ip` commands in one process: `ip [-n NS] -N -json -d [OPTS] -batch -`.
 * Returns one array per command, in order.
 */
export async function ipJsonBatch(netns: string | undefined, commands: readonly string[], options: readonly string[] = []): Promise<unknown[][]> {
  const args = ["-N", "-json", "-d", ...options, "-batch", "-"];
  const { stdout, stderr } = await ip(netns, args, { input: commands.join("\n") + "\n" });
  if (dumpWasInterrupted(stderr)) throw new InconsistentDumpError(`ip ${args.join(" ")}`);
  const docs = parseJsonSequence(stdout);
  if (docs.length !== commands.length || !docs.every(Array.isArray)) {
    throw new Error(
      `ip -batch printed ${docs.length} JSON document(s) for ${commands.length} command(s) (${commands.join("; ")})${stderr.trim() ? `: ${stderr.trim()}` : ""}`,
    );
  }
  return docs as unknown[][];
}

/** `ip [-n NS] -N -json -d -6 rule show`: `ip rule` lists one family per process, IPv4 unless told. */
export async function ipv6Rules(netns: string | undefined): Promise<IpRule[]> {
  const [rules] = await ipJsonBatch(netns, ["rule show"], ["-6"]);
  return rules as IpRule[];
}

/** `bridge [-n NS] -json vlan show`: per-port VLANs of every VLAN-filtering bridge. */
export async function bridgeVlans(netns: string | undefined): Promise<BridgeVlanPort[]> {
  const { stdout, stderr } = await bridge(netns, ["-json", "vlan", "show"]);
  if (dumpWasInterrupted(stderr)) throw new InconsistentDumpError("bridge -json vlan show");
  const docs = parseJsonSequence(stdout);
  const first = docs[0];
  return Array.isArray(first) ? (first as BridgeVlanPort[]) : [];
}

/**
 * `ip [-n NS] -N -d -o route show table all` (both families, one line per
 * route): the only place iproute2 shows which route metrics are locked; its
 * JSON output drops the `lock` keyword.
 */
export async function textRoutes(netns: string | undefined): Promise<string[]> {
  const { stdout, stderr } = await ip(netns, ["-N", "-d", "-o", "route", "show", "table", "all"]);
  if (dumpWasInterrupted(stderr)) throw new InconsistentDumpError("ip -N -d -o route show table all");
  return stdout.split("\n").filter((l) => l.trim() !== "");
}
