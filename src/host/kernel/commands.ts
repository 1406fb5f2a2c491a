/**
 * The kernel backend's translation of the state model's operations
 * (src/state/plan/operations.ts) into iproute2 argument words: what
 * `ip -batch -` runs and what `nodenet diff --plan` shows. Each function's
 * comment names the command it stands for.
 */
import type { Operation, VlanEntry } from "../../state/plan/operations.ts";
import type { Route, RouteRule } from "../../state/schema/routes.ts";
import { kernelBridgeOptions, kernelBridgePortOptions } from "./bridge-options.ts";
import { linkAddArgs } from "./kinds/index.ts";

const onOff = (v: boolean) => (v ? "on" : "off");

/** `ip route … DEST via A dev X table T metric M …` after the verb. */
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

/** `ip rule … priority P from A to B … table T` after the verb. */
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

/** `bridge vlan … dev PORT vid V[-W] [pvid] [untagged]` after the verb. */
export function vlanArgs(port: string, entry: VlanEntry): string[] {
  return [
    "dev", port, "vid", entry.min === entry.max ? String(entry.min) : `${entry.min}-${entry.max}`,
    ...(entry.pvid ? ["pvid"] : []),
    ...(entry.untagged ? ["untagged"] : []),
  ];
}

/** `net/ipv4/conf/IFACE/KEY`: a `.` in an interface name is written `/` in a sysctl key. */
export const sysctlKey = (family: "ipv4" | "ipv6", name: string, key: string) => `net/${family}/conf/${name.replaceAll(".", "/")}/${key}`;

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
          ...(op.mac ? ["address", op.mac] : []),
          ...(op.description !== undefined ? ["alias", op.description] : []),
          ...(op.acceptAllMac !== undefined ? ["promisc", onOff(op.acceptAllMac)] : []),
        ],
      };
    case "link-state":
      return { tool: "ip", args: ["link", "set", "dev", op.name, op.up ? "up" : "down"] };
    case "link-controller":
      return { tool: "ip", args: ["link", "set", "dev", op.name, ...(op.controller ? ["master", op.controller] : ["nomaster"])] };
    case "bridge-options":
      return {
        tool: "ip",
        args: ["link", "set", "dev", op.name, "type", "bridge", ...optionArgs(kernelBridgeOptions(op.options)), ...(op.vlanFiltering !== undefined ? ["vlan_filtering", op.vlanFiltering ? "1" : "0"] : [])],
      };
    case "bond-options":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bond", ...optionArgs(op.options as Record<string, unknown>)] };
    case "bridge-port-options":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bridge_slave", ...optionArgs(kernelBridgePortOptions(op.options))] };
    case "bond-port-options":
      return { tool: "ip", args: ["link", "set", "dev", op.name, "type", "bond_slave", ...optionArgs({ queue_id: op.options["queue-id"], prio: op.options.priority })] };
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
    case "ipv4-forwarding":
      return { tool: "sysctl", args: ["-w", `${sysctlKey("ipv4", op.name, "forwarding")}=${op.enabled ? "1" : "0"}`] };
    case "ipv6-switch":
      return { tool: "sysctl", args: ["-w", `${sysctlKey("ipv6", op.name, "disable_ipv6")}=${op.enabled ? "0" : "1"}`] };
    case "ipv6-accept-ra":
      return { tool: "sysctl", args: ["-w", `${sysctlKey("ipv6", op.name, "accept_ra")}=${op.accept}`] };
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
