/**
 * What `read()` reports, in the kernel backend's conventions: interfaces
 * sorted by name; a port names its `controller` and its controller lists its
 * ports sorted; addresses in kernel order; `ipv4`/`ipv6` `{enabled: false}`
 * without addresses or dynamic addressing; bridge options in full (the
 * kernel's defaults included); `routes.config` the configured routes and
 * `routes.running` those plus the DHCP routes (the kernel's connected routes
 * are left out, as the kernel reader does); `dns-resolver`
 * `config` the static configuration and `running` that plus learned servers.
 * Every call returns a fresh copy.
 */
import { dynamicKey, type HostSnapshot } from "../backend.ts";
import { autoSettingsFields } from "../../state/plan/index.ts";
import type { Interface } from "../../state/schema/interface.ts";
import type { Ipv4, Ipv6 } from "../../state/schema/ip.ts";
import type { Route, RouteRule } from "../../state/schema/routes.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { memoryKind } from "./kinds/index.ts";
import { compareText, portsOf, type Family, type MemHost, type MemLink } from "./model.ts";
import { routeFamily } from "./routes.ts";
import { compareRoutes } from "../../state/route-order.ts";


function ipSection(host: MemHost, link: MemLink, family: Family): Ipv4 | Ipv6 {
  if (family === "ipv6") return { ...ipBody(host, link, family), "accept-ra": link.acceptRa };
  return ipBody(host, link, family);
}

function ipBody(host: MemHost, link: MemLink, family: Family): Ipv4 | Ipv6 {
  if (family === "ipv6" && link.ipv6Disabled) return { enabled: false };
  const address = link.addresses[family].map((a) => ({ ip: a.ip, "prefix-length": a.prefix }));
  const dyn = host.dynamic.get(link.name);
  const forwarding = family === "ipv4" ? { forwarding: link.forwarding } : {};
  if (family === "ipv4" && dyn?.dhcp4) return { enabled: true, dhcp: true, ...autoSettingsFields(dyn.dhcp4), address, ...forwarding };
  const v6 = family === "ipv6" ? (dyn?.dhcp6 ?? dyn?.autoconf) : undefined;
  if (v6) return { enabled: true, dhcp: Boolean(dyn?.dhcp6), autoconf: Boolean(dyn?.autoconf), ...autoSettingsFields(v6), address };
  if (address.length) return { enabled: true, dhcp: false, ...(family === "ipv6" ? { autoconf: false } : {}), address, ...forwarding };
  return { enabled: false, ...(link.forwarding && family === "ipv4" ? { forwarding: true } : {}) };
}

function renderLink(host: MemHost, link: MemLink): Interface {
  const iface: Interface = { name: link.name, type: link.type, state: link.type === "unknown" ? "ignore" : link.up ? "up" : "down" };
  if (link.alias) iface.description = link.alias;
  iface.mtu = link.mtu;
  iface["mac-address"] = link.mac;
  if (link.master) iface.controller = link.master;
  iface["accept-all-mac-addresses"] = link.promisc;
  iface.ipv4 = ipSection(host, link, "ipv4");
  iface.ipv6 = ipSection(host, link, "ipv6");
  const ports = portsOf(host, link.name).sort((a, b) => compareText(a.name, b.name));
  // A NIC-typed end of a veth pair (as nmstate models veths) still reports its peer.
  const kind = memoryKind(link.peer ? "veth" : link.type);
  if (kind?.render) Object.assign(iface, kind.render(host, link, ports));
  if (link.section) Object.assign(iface, structuredClone(link.section));
  return iface;
}

/** The kernel reader's order (src/state/route-order.ts), so both backends print the same routes alike. */
const sortRoutes = (routes: Route[]) =>
  routes
    .map((route) => ({ route, family: routeFamily(route) === "ipv6" ? (6 as const) : (4 as const) }))
    .sort(compareRoutes)
    .map((r) => r.route);

function renderRoute(r: Route): Route {
  const { destination, "next-hop-interface": dev, "next-hop-address": via, metric, "table-id": table, ...rest } = r;
  return {
    ...(destination !== undefined ? { destination } : {}),
    ...(dev !== undefined ? { "next-hop-interface": dev } : {}),
    ...(via !== undefined ? { "next-hop-address": via } : {}),
    ...(metric !== undefined ? { metric } : {}),
    ...(table !== undefined ? { "table-id": table } : {}),
    ...structuredClone(rest),
  };
}

const sortRules = (rules: RouteRule[]) =>
  rules.map((r, i) => ({ r, i })).sort((a, b) => compareText(a.r.family ?? "", b.r.family ?? "") || a.r.priority! - b.r.priority! || a.i - b.i).map(({ r }) => structuredClone(r));

export function renderSnapshot(host: MemHost): HostSnapshot {
  const links = [...host.links.values()].sort((a, b) => compareText(a.name, b.name));
  const configured = host.routes.filter((r) => r.proto === "static").map((r) => r.route);
  // Like the kernel reader, `running` leaves out the kernel's own (connected) routes.
  const running = host.routes.map((r) => r.route);
  const state: NetworkState = {
    interfaces: links.map((l) => renderLink(host, l)),
    routes: { config: sortRoutes(configured.map(renderRoute)), running: sortRoutes(running.map(renderRoute)) },
  };
  state["route-rules"] = { config: sortRules(host.rules) };
  const learned = [...host.learnedDns.entries()].sort(([a], [b]) => compareText(a, b)).flatMap(([, servers]) => servers);
  const resolver: NonNullable<NetworkState["dns-resolver"]> = {};
  if (host.dns) resolver.config = structuredClone(host.dns);
  if (host.dns || learned.length) {
    resolver.running = { server: [...(host.dns?.server ?? []), ...learned], search: [...(host.dns?.search ?? [])], options: [...(host.dns?.options ?? [])] };
  }
  if (resolver.config || resolver.running) state["dns-resolver"] = resolver;
  if (host.hostname !== undefined) state.hostname = { running: host.hostname };
  const dynamic = new Set<string>();
  for (const link of links) {
    for (const family of ["ipv4", "ipv6"] as const) {
      for (const a of link.addresses[family]) if (a.dynamic) dynamic.add(dynamicKey(link.name, a.ip, a.prefix));
    }
  }
  return { state, dynamic };
}
