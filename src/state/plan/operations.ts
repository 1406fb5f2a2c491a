/**
 * The steps of a change, as data. Each names the iproute2 command that does it
 * (`describe`), so a plan can be shown to a user, executed by the kernel
 * backend in batches, or applied to the in-memory backend.
 */
import type { BondOptions } from "../schema/bond.ts";
import type { DnsConfig } from "../schema/dns.ts";
import type { Route, RouteRule } from "../schema/routes.ts";

export type LinkKind = "bridge" | "bond" | "vlan" | "vxlan" | "macvlan" | "veth" | "dummy" | "vrf";

/** `ip link add …` arguments after the name, by kind. */
export type LinkCreate =
  | { kind: "bridge" }
  | { kind: "bond"; mode: string }
  | { kind: "vlan"; base: string; id: number; protocol?: string }
  | { kind: "vxlan"; id: number; base?: string; remote?: string; local?: string; port: number; learning?: boolean }
  | { kind: "macvlan"; base: string; mode: string; nopromisc?: boolean }
  | { kind: "veth"; peer: string }
  | { kind: "dummy" }
  | { kind: "vrf"; table: number };

/** A bridge port VLAN entry: a vid or a range, possibly the port's PVID and untagged. */
export interface VlanEntry {
  min: number;
  max: number;
  pvid?: boolean;
  untagged?: boolean;
}

export interface DynamicAddressing {
  /** DHCPv4 (`ipv4.dhcp`), or undefined for none. */
  dhcp4?: DhcpSettings;
  /** DHCPv6 (`ipv6.dhcp`). */
  dhcp6?: DhcpSettings;
  /** IPv6 SLAAC (`ipv6.autoconf`). */
  autoconf?: DhcpSettings;
}

export interface DhcpSettings {
  autoDns: boolean;
  autoGateway: boolean;
  autoRoutes: boolean;
  tableId?: number;
  metric?: number;
  clientId?: string;
}

export type Operation =
  | { op: "link-add"; name: string; create: LinkCreate }
  | { op: "link-del"; name: string }
  | { op: "link-set"; name: string; mtu?: number; address?: string; alias?: string; promisc?: boolean }
  | { op: "link-state"; name: string; up: boolean }
  | { op: "link-master"; name: string; master: string | null }
  | { op: "bridge-options"; name: string; options: Record<string, string | number> }
  | { op: "bond-options"; name: string; options: BondOptions & { mode?: string } }
  | { op: "bridge-port"; name: string; options: Record<string, string | number> }
  | { op: "bond-port"; name: string; options: { queue_id?: number; prio?: number } }
  | { op: "vlan-del"; port: string; entry: VlanEntry }
  | { op: "vlan-add"; port: string; entry: VlanEntry }
  | { op: "addr-del"; name: string; ip: string; prefix: number }
  | { op: "addr-add"; name: string; ip: string; prefix: number }
  | { op: "route-del"; route: Route }
  | { op: "route-add"; route: Route }
  /** Several routes of one destination, table and metric: one ECMP route with a nexthop each (all of the slot's members). */
  | { op: "route-multipath"; routes: Route[] }
  | { op: "rule-del"; rule: RouteRule }
  | { op: "rule-add"; rule: RouteRule }
  | { op: "sysctl"; key: string; value: string }
  /** What router advertisements left on a link that stops hearing them: its SLAAC addresses or its RA routes. */
  | { op: "ra-flush"; name: string; what: "addresses" | "routes" }
  | { op: "dynamic"; name: string; settings: DynamicAddressing }
  | { op: "dns"; config: DnsConfig }
  | { op: "hostname"; name: string };

export type OperationName = Operation["op"];

const onOff = (v: boolean) => (v ? "on" : "off");

export function linkAddArgs(name: string, create: LinkCreate): string[] {
  switch (create.kind) {
    case "bridge":
    case "dummy":
      return ["link", "add", name, "type", create.kind];
    case "bond":
      return ["link", "add", name, "type", "bond", "mode", create.mode];
    case "vlan":
      return ["link", "add", "link", create.base, "name", name, "type", "vlan", "id", String(create.id), ...(create.protocol ? ["protocol", create.protocol] : [])];
    case "vxlan":
      return [
        "link", "add", name, "type", "vxlan", "id", String(create.id),
        ...(create.remote ? ["remote", create.remote] : []),
        ...(create.local ? ["local", create.local] : []),
        ...(create.base ? ["dev", create.base] : []),
        "dstport", String(create.port),
        ...(create.learning === false ? ["nolearning"] : []),
      ];
    case "macvlan":
      return ["link", "add", "link", create.base, "name", name, "type", "macvlan", "mode", create.mode, ...(create.nopromisc ? ["nopromisc"] : [])];
    case "veth":
      return ["link", "add", name, "type", "veth", "peer", "name", create.peer];
    case "vrf":
      return ["link", "add", name, "type", "vrf", "table", String(create.table)];
  }
}

export function routeArgs(route: Route): string[] {
  const args: string[] = [];
  if (route["route-type"]) args.push(route["route-type"]);
  args.push(route.destination ?? "default");
  if (route["next-hop-address"]) args.push("via", route["next-hop-address"]);
  if (route["next-hop-interface"]) args.push("dev", route["next-hop-interface"]);
  args.push("table", String(route["table-id"] ?? 254));
  if (route.metric !== undefined) args.push("metric", String(route.metric));
  if (route.source) args.push("src", route.source);
  if (route.cwnd !== undefined) args.push("cwnd", "lock", String(route.cwnd));
  if (route.initcwnd !== undefined) args.push("initcwnd", String(route.initcwnd));
  if (route.initrwnd !== undefined) args.push("initrwnd", String(route.initrwnd));
  if (route.mtu !== undefined) args.push("mtu", String(route.mtu));
  if (route.advmss !== undefined) args.push("advmss", String(route.advmss));
  if (route.quickack !== undefined) args.push("quickack", route.quickack ? "1" : "0");
  if (route.onlink) args.push("onlink");
  return args;
}

/**
 * Equivalent to: `ip route replace DEST table T metric M proto static nexthop
 * via A dev X weight W nexthop via B dev Y weight V` — the slot's shared
 * fields from the first route (iproute2 wants them before the nexthops), a
 * nexthop per route (the kernel's weight 1 when none is given).
 */
export function multipathArgs(routes: readonly Route[]): string[] {
  const first = routes[0]!;
  const args = [first.destination ?? "default", "table", String(first["table-id"] ?? 254)];
  if (first.metric !== undefined) args.push("metric", String(first.metric));
  if (first.source) args.push("src", first.source);
  args.push("proto", "static");
  for (const route of routes) {
    args.push("nexthop");
    if (route["next-hop-address"]) args.push("via", route["next-hop-address"]);
    if (route["next-hop-interface"]) args.push("dev", route["next-hop-interface"]);
    args.push("weight", String(route.weight ?? 1));
    if (route.onlink) args.push("onlink");
  }
  return args;
}

export function ruleArgs(rule: RouteRule): string[] {
  const args: string[] = [];
  if (rule.priority !== undefined) args.push("priority", String(rule.priority));
  if (rule["ip-from"]) args.push("from", rule["ip-from"]);
  if (rule["ip-to"]) args.push("to", rule["ip-to"]);
  if (rule.fwmark !== undefined) args.push("fwmark", `0x${rule.fwmark.toString(16)}${rule.fwmask !== undefined ? `/0x${rule.fwmask.toString(16)}` : ""}`);
  if (rule.iif) args.push("iif", rule.iif);
  if (rule.oif) args.push("oif", rule.oif);
  if (rule["suppress-prefix-length"] !== undefined) args.push("suppress_prefixlength", String(rule["suppress-prefix-length"]));
  if (rule.action) args.push(rule.action);
  else if (rule["route-table"] !== undefined) args.push("table", String(rule["route-table"]));
  return args;
}

export function vlanArgs(port: string, entry: VlanEntry): string[] {
  return [
    "dev", port, "vid", entry.min === entry.max ? String(entry.min) : `${entry.min}-${entry.max}`,
    ...(entry.pvid ? ["pvid"] : []),
    ...(entry.untagged ? ["untagged"] : []),
  ];
}

function optionArgs(options: Record<string, unknown>): string[] {
  return Object.entries(options).flatMap(([k, v]) =>
    v === undefined ? [] : [k, Array.isArray(v) ? v.join(",") : typeof v === "boolean" ? (v ? "1" : "0") : String(v)],
  );
}

/**
 * The command equivalent to one operation, as argument words (for iproute2
 * operations, the words after `ip` or `bridge`). Used for display and, by the
 * kernel backend, for execution.
 */
export function commandOf(op: Operation): { tool: "ip" | "bridge" | "sysctl" | "nodenet"; args: string[] } {
  switch (op.op) {
    case "link-add":
      return { tool: "ip", args: linkAddArgs(op.name, op.create) };
    case "link-del":
      return { tool: "ip", args: ["link", "del", op.name] };
    case "link-set":
      return {
        tool: "ip",
        args: [
          "link", "set", "dev", op.name,
          ...(op.mtu !== undefined ? ["mtu", String(op.mtu)] : []),
          ...(op.address ? ["address", op.address] : []),
          ...(op.alias !== undefined ? ["alias", op.alias] : []),
          ...(op.promisc !== undefined ? ["promisc", onOff(op.promisc)] : []),
        ],
      };
    case "link-state":
      return { tool: "ip", args: ["link", "set", "dev", op.name, op.up ? "up" : "down"] };
    case "link-master":
      return { tool: "ip", args: ["link", "set", "dev", op.name, ...(op.master ? ["master", op.master] : ["nomaster"])] };
    case "bridge-options":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bridge", ...optionArgs(op.options)] };
    case "bond-options":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bond", ...optionArgs(op.options as Record<string, unknown>)] };
    case "bridge-port":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bridge_slave", ...optionArgs(op.options)] };
    case "bond-port":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bond_slave", ...optionArgs(op.options)] };
    case "vlan-del":
      return { tool: "bridge", args: ["vlan", "del", ...vlanArgs(op.port, op.entry)] };
    case "vlan-add":
      return { tool: "bridge", args: ["vlan", "add", ...vlanArgs(op.port, op.entry)] };
    case "addr-del":
      return { tool: "ip", args: ["address", "del", `${op.ip}/${op.prefix}`, "dev", op.name] };
    case "addr-add":
      // `replace` also turns a DHCP-learned address into a permanent one.
      return { tool: "ip", args: ["address", "replace", `${op.ip}/${op.prefix}`, "dev", op.name, "valid_lft", "forever", "preferred_lft", "forever"] };
    case "route-del":
      return { tool: "ip", args: ["route", "del", ...routeArgs(op.route)] };
    case "route-add":
      return { tool: "ip", args: ["route", "replace", ...routeArgs(op.route), "proto", "static"] };
    case "route-multipath":
      return { tool: "ip", args: ["route", "replace", ...multipathArgs(op.routes)] };
    case "rule-del":
      return { tool: "ip", args: [...(op.rule.family === "ipv6" ? ["-6"] : []), "rule", "del", ...ruleArgs(op.rule)] };
    case "rule-add":
      return { tool: "ip", args: [...(op.rule.family === "ipv6" ? ["-6"] : []), "rule", "add", ...ruleArgs(op.rule)] };
    case "sysctl":
      return { tool: "sysctl", args: ["-w", `${op.key}=${op.value}`] };
    case "ra-flush":
      return op.what === "addresses"
        ? { tool: "ip", args: ["-6", "address", "flush", "dev", op.name, "scope", "global", "dynamic"] }
        : { tool: "ip", args: ["-6", "route", "flush", "dev", op.name, "proto", "ra"] };
    case "dynamic": {
      const parts = (["dhcp4", "dhcp6", "autoconf"] as const).map((k) => `${k}=${op.settings[k] ? "on" : "off"}`);
      return { tool: "nodenet", args: ["dynamic-addressing", op.name, ...parts] };
    }
    case "dns":
      return { tool: "nodenet", args: ["write-resolv.conf", ...(op.config.server ?? []).map((s) => `nameserver=${s}`), ...(op.config.search ?? []).map((s) => `search=${s}`)] };
    case "hostname":
      return { tool: "nodenet", args: ["hostname", op.name] };
  }
}

/** `ip link add br0 type bridge` */
export function describe(op: Operation): string {
  const { tool, args } = commandOf(op);
  return [tool, ...args.map((a) => (/[\s"']/.test(a) || a === "" ? JSON.stringify(a) : a))].join(" ");
}
