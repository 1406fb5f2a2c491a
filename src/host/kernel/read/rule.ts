/**
 * `route-rules.config` from `ip -N -json -d rule show` (IPv4) and
 * `ip -6 … rule show` (IPv6): every rule except the kernel's defaults
 * (priority 0 → local, 32766 → main, 32767 → default).
 *
 * Rules that use a selector or action the schema cannot express (tos,
 * ipproto, ports, uidrange, l3mdev, `not`, goto, nop, …) are left out rather
 * than reported as a different, broader rule; they stay in the snapshot's raw
 * dump.
 */
import type { IpRule } from "./ipjson.ts";
import type { RouteRule } from "../../../state/schema/index.ts";
import { canonicalNetwork, type Family } from "../../../state/ip-address.ts";
import { compareText, numberOf } from "./values.ts";

/** Keys iproute2 prints that the schema represents (or that do not change what a rule matches). */
const REPRESENTABLE = new Set([
  "priority",
  "src",
  "srclen",
  "dst",
  "dstlen",
  "table",
  "action",
  "fwmark",
  "fwmask",
  "iif",
  "oif",
  "iif_detached",
  "oif_detached",
  "suppress_prefixlen",
  "protocol",
]);

/** FR_ACT_BLACKHOLE 6, FR_ACT_UNREACHABLE 7, FR_ACT_PROHIBIT 8 (names too). */
const ACTIONS: Record<string, NonNullable<RouteRule["action"]>> = {
  "6": "blackhole",
  "7": "unreachable",
  "8": "prohibit",
  blackhole: "blackhole",
  unreachable: "unreachable",
  prohibit: "prohibit",
};

const TABLE_NAMES: Record<string, number> = { main: 254, local: 255, default: 253 };
const tableOf = (rule: IpRule) => (rule.table === undefined ? undefined : (numberOf(rule.table) ?? TABLE_NAMES[rule.table]));

const DEFAULTS: Record<number, number> = { 0: 255, 32766: 254, 32767: 253 };

export function isKernelDefault(rule: IpRule): boolean {
  const keys = Object.keys(rule).filter((k) => k !== "protocol");
  const plain = keys.every((k) => k === "priority" || k === "src" || k === "table");
  return plain && (rule.src === undefined || rule.src === "all") && rule.priority !== undefined && DEFAULTS[rule.priority] === tableOf(rule);
}

function prefixOf(address: string | undefined, length: number | undefined, family: Family): string | undefined {
  if (address === undefined || address === "all") return undefined;
  return canonicalNetwork(`${address}/${length ?? (family === 4 ? 32 : 128)}`);
}

/** The reported form of one kernel rule, or undefined when it is a default or not representable. */
export function ruleEntry(rule: IpRule, family: Family): RouteRule | undefined {
  if (isKernelDefault(rule)) return undefined;
  if (Object.keys(rule).some((k) => !REPRESENTABLE.has(k))) return undefined;
  const action = rule.action === undefined ? undefined : ACTIONS[rule.action];
  if (rule.action !== undefined && !action) return undefined;
  const out: RouteRule = {};
  const from = prefixOf(rule.src, rule.srclen, family);
  if (from) out["ip-from"] = from;
  const to = prefixOf(rule.dst, rule.dstlen, family);
  if (to) out["ip-to"] = to;
  if (rule.priority !== undefined) out.priority = rule.priority;
  const table = tableOf(rule);
  if (!action && table !== undefined) out["route-table"] = table;
  const fwmark = numberOf(rule.fwmark);
  if (fwmark !== undefined) out.fwmark = fwmark;
  const fwmask = numberOf(rule.fwmask);
  if (fwmask !== undefined) out.fwmask = fwmask;
  out.family = family === 4 ? "ipv4" : "ipv6";
  if (rule.iif) out.iif = rule.iif;
  if (rule.oif) out.oif = rule.oif;
  if (action) out.action = action;
  if (rule.suppress_prefixlen !== undefined) out["suppress-prefix-length"] = rule.suppress_prefixlen;
  return out;
}

/**
 * IPv4 before IPv6, then by priority; rules of one priority keep the order
 * `ip rule show` lists them in, which is the order the kernel tries them
 * (a new rule goes after those of its priority): sorting them by content
 * would report an evaluation order the kernel does not have.
 */
export function compareRules(a: RouteRule, b: RouteRule): number {
  return compareText(a.family ?? "", b.family ?? "") || (a.priority ?? 0) - (b.priority ?? 0);
}

export function rulesSection(v4: readonly IpRule[], v6: readonly IpRule[]): RouteRule[] {
  const out: RouteRule[] = [];
  for (const rule of v4) {
    const entry = ruleEntry(rule, 4);
    if (entry) out.push(entry);
  }
  for (const rule of v6) {
    const entry = ruleEntry(rule, 6);
    if (entry) out.push(entry);
  }
  return out.sort(compareRules);
}
