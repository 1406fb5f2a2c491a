/**
 * The initial host from a NetworkState, taken as a description of what is
 * there (not applied through operations, so it may hold what nodenet cannot
 * create: NICs, loopback, unknown links). Interfaces without a type are NICs;
 * addresses are static; routes are configured routes; `dhcp`/`autoconf`
 * start with the offered lease, when there is one.
 */
import { canonicalIp } from "../../state/ip-address.ts";
import { declaredPorts } from "../../state/model.ts";
import { dynamicAddressing } from "../../state/plan/index.ts";
import { DEFAULT_PORT_VLAN, vlanTable } from "../../state/plan/bridge.ts";
import { kernelBridgePortOptions } from "../kernel/bridge-options.ts";
import type { Interface } from "../../state/schema/interface.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { addAddress } from "./addresses.ts";
import { BRIDGE_PORT_DEFAULTS, defaultVlans } from "./bridge.ts";
import { memoryKind } from "./kinds/index.ts";
import { loadStacked } from "./stacked.ts";
import { setDns, startInitialDynamic, type Leases } from "./dynamic.ts";
import { emptyHost, newLink, type MemHost, type MemLink } from "./model.ts";
import { addRule, storedRoute } from "./routes.ts";

function linkOf(host: MemHost, iface: Interface): MemLink {
  const type = iface.type ?? "ethernet";
  const link = newLink(host, iface.name, type, {
    up: iface.state !== "down",
    mtu: iface.mtu ?? (type === "loopback" ? 65536 : 1500),
    mtuSet: iface.mtu !== undefined,
    alias: iface.description ?? "",
    promisc: Boolean(iface["accept-all-mac-addresses"]),
    forwarding: Boolean(iface.ipv4?.forwarding),
    acceptRa: iface.ipv6?.["accept-ra"] ?? 1,
  });
  if (iface["mac-address"]) link.mac = iface["mac-address"].toUpperCase();
  // A bridge listed with its MAC keeps it, as if it had been set (the initial state is taken as it is).
  link.macSet = Boolean(iface["mac-address"]);
  const kind = memoryKind(iface.veth ? "veth" : type);
  if (kind?.load) kind.load(link, iface);
  else if (!kind) loadStacked(link, iface);
  return link;
}

/** Attaches ports named either way (a port's `controller`, or a controller's port list) with their settings. */
function attachPorts(host: MemHost, interfaces: readonly Interface[]): void {
  const byName = new Map(interfaces.map((i) => [i.name, i]));
  const controllerOf = new Map<string, string>();
  for (const iface of interfaces) {
    for (const port of declaredPorts(iface) ?? []) controllerOf.set(port, iface.name);
    if (iface.controller) controllerOf.set(iface.name, iface.controller);
  }
  for (const [portName, controllerName] of controllerOf) {
    const port = host.links.get(portName);
    const controller = host.links.get(controllerName);
    if (!port || !controller) throw new Error(`initial state: ${portName} and its controller ${controllerName} must both be listed`);
    port.master = controllerName;
    const declared = byName.get(controllerName);
    if (controller.type === "linux-bridge") {
      const settings = declared?.bridge?.port?.find((p) => p.name === portName);
      port.portOptions = { ...BRIDGE_PORT_DEFAULTS, ...(settings ? kernelBridgePortOptions(settings) : {}) };
      const filtering = Number(controller.bridge?.vlan_filtering) === 1;
      port.vlans = filtering ? vlanTable(settings?.vlan ?? DEFAULT_PORT_VLAN) : defaultVlans(controller.bridge);
    } else if (controller.type === "bond") {
      const settings = declared?.["link-aggregation"]?.["ports-config"]?.find((p) => p.name === portName);
      port.portOptions = { queue_id: settings?.["queue-id"] ?? 0, prio: settings?.priority ?? 0 };
    }
  }
}

export function hostFromState(initial: NetworkState, leases: Leases): MemHost {
  const host = emptyHost();
  const interfaces = (initial.interfaces ?? []).filter((i) => i.state !== "absent");
  for (const iface of interfaces) host.links.set(iface.name, linkOf(host, iface));
  attachPorts(host, interfaces);
  for (const iface of interfaces) {
    for (const family of ["ipv4", "ipv6"] as const) {
      const ip = iface[family];
      if (ip?.enabled === false) continue;
      // addAddress puts IPv6 addresses newest first; add them oldest first so the listed order is kept.
      const addresses = family === "ipv6" ? [...(ip?.address ?? [])].reverse() : (ip?.address ?? []);
      for (const a of addresses) addAddress(host, iface.name, canonicalIp(a.ip), a["prefix-length"]);
    }
  }
  for (const route of initial.routes?.config ?? []) {
    if (route.state === "absent") continue;
    const stored = storedRoute(route);
    host.routes.push({ route: stored, proto: "static" });
  }
  for (const rule of initial["route-rules"]?.config ?? []) if (rule.state !== "absent") addRule(host, rule);
  if (initial["dns-resolver"]?.config) setDns(host, initial["dns-resolver"].config);
  const hostname = initial.hostname?.running ?? initial.hostname?.config;
  if (hostname !== undefined) host.hostname = hostname;
  for (const iface of interfaces) startInitialDynamic(host, iface.name, dynamicAddressing(iface), leases);
  return host;
}
