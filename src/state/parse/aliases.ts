/**
 * nmstate accepts several spellings for the same thing; they are rewritten
 * here to the one spelling the schema knows, before validation, so that every
 * later stage sees a single form. Works on a deep copy of untyped input.
 */
import { invalid, type Issue, type IssuePath } from "../issues.ts";
import { clone } from "../objects.ts";
import { BOND_MODES } from "../schema/bond.ts";
import { KINDS_WITH_ALIASES } from "../kinds/index.ts";
import { DEFAULT_ROUTE_TABLE } from "../model.ts";
import { coerceBoolean, coerceInteger } from "../schema/scalars.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Equal once nmstate's spellings of numbers and booleans are read ("1" is 1, "yes" is true). */
function sameValue(a: unknown, b: unknown): boolean {
  const [x, y] = [coerceInteger(a), coerceInteger(b)];
  if (typeof x === "number" || typeof y === "number") return x === y;
  return JSON.stringify(coerceBoolean(a)) === JSON.stringify(coerceBoolean(b));
}

/**
 * Moves `from` to `to`. Both given with one value is one setting; with two
 * values nmstate refuses the document, and so do we (reported in `issues`).
 */
function rename(obj: Json, from: string, to: string, path: IssuePath = [], issues: Issue[] = []): void {
  if (!(from in obj)) return;
  if (to in obj && !sameValue(obj[to], obj[from])) {
    issues.push(invalid([...path, from], `${from} is another name for ${to}, and the two are given different values`, `keep only ${to}`));
    delete obj[from];
    return;
  }
  if (!(to in obj)) obj[to] = obj[from];
  delete obj[from];
}

/**
 * nmstate's numeric spellings of the kernel's enumerated bond options (the
 * value the kernel prints beside the name in /sys/class/net/BOND/bonding/*):
 * `arp_validate: 6` and `arp_validate: "6"` are `filter_backup`.
 */
const BOND_OPTION_NUMBERS: Record<string, readonly string[]> = {
  ad_select: ["stable", "bandwidth", "count"],
  lacp_rate: ["slow", "fast"],
  arp_all_targets: ["any", "all"],
  arp_validate: ["none", "active", "backup", "all", "filter", "filter_active", "filter_backup"],
  fail_over_mac: ["none", "active", "follow"],
  primary_reselect: ["always", "better", "failure"],
  xmit_hash_policy: ["layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"],
};

/** The kernel's words for all_slaves_active (nmstate shows them); nodenet's model holds a boolean. */
const ALL_SLAVES_ACTIVE: Record<string, boolean> = { dropped: false, delivered: true };

function bondOptionValue(key: string, value: unknown): unknown {
  const names = BOND_OPTION_NUMBERS[key];
  const index = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
  if (names && index !== undefined) return names[index] ?? value;
  if (key === "all_slaves_active" && typeof value === "string" && value.toLowerCase() in ALL_SLAVES_ACTIVE) return ALL_SLAVES_ACTIVE[value.toLowerCase()];
  return value;
}

/** multicast-router as the kernel numbers it (0 disabled, 1 auto, 2 enabled), or its name in any case. */
const MULTICAST_ROUTER = ["disabled", "auto", "enabled"];
function multicastRouter(value: unknown): unknown {
  const index = typeof value === "number" ? value : typeof value === "string" && /^\d$/.test(value.trim()) ? Number(value) : undefined;
  if (index !== undefined) return MULTICAST_ROUTER[index] ?? value;
  return typeof value === "string" && MULTICAST_ROUTER.includes(value.toLowerCase()) ? value.toLowerCase() : value;
}

/** Bridge options `show` reports that are kernel timers, not settings: nmstate drops them from input. */
const BRIDGE_RUNTIME_TIMERS = ["gc-timer", "hello-timer", "tcn-timer", "topology-change-timer"];

/** Bond modes may be given as numbers (`mode: 1`) or their names. */
function bondMode(value: unknown): unknown {
  const index = typeof value === "number" ? value : typeof value === "string" && /^\d$/.test(value) ? Number(value) : undefined;
  return index !== undefined && BOND_MODES[index] ? BOND_MODES[index] : value;
}

function normaliseBond(la: Json): void {
  rename(la, "slaves", "port");
  rename(la, "ports", "port");
  if ("mode" in la) la.mode = bondMode(la.mode);
  if (Array.isArray(la.port)) {
    // OVS-style `port: [{name: eth1}]` appears in the wild; the Linux bond wants names.
    la.port = la.port.map((p) => (isObject(p) && typeof p.name === "string" && Object.keys(p).length === 1 ? p.name : p));
  }
  if (isObject(la.options)) {
    const options: Json = {};
    for (const [key, value] of Object.entries(la.options)) {
      const name = key.replaceAll("-", "_");
      options[name] = bondOptionValue(name, value);
    }
    la.options = options;
  }
}

function normaliseBridge(bridge: Json, path: IssuePath, issues: Issue[]): void {
  const options = bridge.options;
  if (isObject(options)) {
    rename(options, "group-fwd-mask", "group-forward-mask", [...path, "options"], issues);
    for (const timer of BRIDGE_RUNTIME_TIMERS) delete options[timer];
    if ("multicast-router" in options) options["multicast-router"] = multicastRouter(options["multicast-router"]);
  }
  rename(bridge, "slaves", "port");
  rename(bridge, "ports", "port");
}

/** nmstate's spellings of an address's lifetimes: `valid-left`/`valid-lft` are `valid-life-time`, likewise preferred. */
function normaliseAddresses(ip: Json): void {
  if (!Array.isArray(ip.address)) return;
  for (const address of ip.address) {
    if (!isObject(address)) continue;
    for (const kind of ["valid", "preferred"]) {
      rename(address, `${kind}-left`, `${kind}-life-time`);
      rename(address, `${kind}-lft`, `${kind}-life-time`);
    }
  }
}

/** Keys an interface that is to be removed needs; nmstate ignores the rest, even when it is malformed. */
const ABSENT_KEEPS = ["name", "type", "state", "identifier", "profile-name"];

/**
 * Routes and rules: empty strings in an absent entry mean "no value" (they
 * match an entry without that field) and stay for the matcher; a rule without
 * a table or action looks up the main table, as in nmstate, which writes that
 * table explicitly.
 */
function normaliseRoutes(state: Json): void {
  const rules = isObject(state["route-rules"]) ? state["route-rules"].config : undefined;
  if (!Array.isArray(rules)) return;
  for (const rule of rules) {
    if (!isObject(rule) || rule.state === "absent") continue;
    if ((rule["route-table"] === undefined || rule["route-table"] === 0 || rule["route-table"] === "0") && rule.action === undefined) rule["route-table"] = DEFAULT_ROUTE_TABLE;
  }
}

export interface Normalised {
  value: unknown;
  /** Spellings that cannot be reconciled (an alias and its key with different values). */
  issues: Issue[];
}

/** Returns a normalised deep copy; the input is not changed. */
export function normaliseAliases(state: unknown): Normalised {
  const copy = clone(state);
  const issues: Issue[] = [];
  if (!isObject(copy)) return { value: copy, issues };
  normaliseRoutes(copy);
  if (!Array.isArray(copy.interfaces)) return { value: copy, issues };
  copy.interfaces.forEach((iface, index) => {
    if (!isObject(iface)) return;
    const path: IssuePath = ["interfaces", index];
    if (iface.state === "absent") {
      for (const key of Object.keys(iface)) if (!ABSENT_KEEPS.includes(key)) delete iface[key];
      return;
    }
    if (isObject(iface["link-aggregation"])) normaliseBond(iface["link-aggregation"]);
    if (isObject(iface.bridge)) normaliseBridge(iface.bridge, [...path, "bridge"], issues);
    for (const kind of KINDS_WITH_ALIASES) {
      const section = kind.section ? iface[kind.section] : undefined;
      if (!isObject(section)) continue;
      for (const [written, key] of Object.entries(kind.aliases ?? {})) rename(section, written, key, [...path, kind.section!], issues);
    }
    for (const family of ["ipv4", "ipv6"]) if (isObject(iface[family])) normaliseAddresses(iface[family]);
    if (typeof iface["mac-address"] === "string") iface["mac-address"] = iface["mac-address"].toUpperCase();
  });
  return { value: copy, issues };
}
