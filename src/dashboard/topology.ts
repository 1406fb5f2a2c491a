/**
 * A node's network as a graph, from its NodeNetworkState: one vertex per
 * interface (with its addresses), an edge from each port to its controller
 * (bond, bridge, VRF) and from each VLAN, VXLAN or MACVLAN to its base
 * interface; the default routes and DNS beside it; and, for every part,
 * which policies declared it (the desired state each of the node's
 * enactments rendered). Pure: the browser lays the graph out and draws it.
 */
import type { Enactment } from "../cluster/api/enactment.ts";
import type { NodeState } from "../cluster/api/node-state.ts";
import { currentPhase } from "../cluster/handler/enactment-conditions.ts";

export interface GraphInterface {
  name: string;
  type: string;
  state: string;
  mac?: string;
  mtu?: number;
  /** "ip/prefix", IPv4 first. */
  addresses: string[];
  dhcp: boolean;
  autoconf: boolean;
  /** e.g. "vlan 10 on eth1", "bond mode active-backup", "vrf table 100". */
  detail?: string;
  /** Policies whose rendered desired state names this interface. */
  declaredBy: string[];
}

export interface GraphEdge {
  /** The port, or the VLAN/VXLAN/MACVLAN. */
  from: string;
  /** The controller, or the base interface. */
  to: string;
  kind: "port" | "base";
}

export interface DefaultRoute {
  destination: string;
  gateway: string;
  iface: string;
  declaredBy: string[];
}

export interface NodeTopology {
  node: string;
  stateVersion: string;
  lastUpdate?: string;
  interfaces: GraphInterface[];
  edges: GraphEdge[];
  defaultRoutes: DefaultRoute[];
  dns: { servers: string[]; search: string[]; declaredBy: string[] };
  /** Set when the handler summarised a state too large for one object. */
  truncated?: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
const DEFAULT_DESTINATIONS = new Set(["0.0.0.0/0", "::/0"]);

function addressesOf(iface: Json): string[] {
  const out: string[] = [];
  for (const family of ["ipv4", "ipv6"]) {
    const ip = iface[family];
    if (!isObject(ip)) continue;
    for (const a of objects(ip.address)) if (text(a.ip)) out.push(`${a.ip as string}/${String(a["prefix-length"] ?? "?")}`);
  }
  return out;
}

/** Port names a controller lists itself (the ports' own `controller` key is the other way to say it). */
function portsOf(iface: Json): string[] {
  const bridge = iface.bridge;
  const bond = iface["link-aggregation"];
  const vrf = iface.vrf;
  return [
    ...(isObject(bridge) ? objects(bridge.port).map((p) => text(p.name)) : []),
    ...(isObject(bond) ? strings(bond.port) : []),
    ...(isObject(vrf) ? strings(vrf.port) : []),
  ].filter((n): n is string => Boolean(n));
}

function baseOf(iface: Json): string | undefined {
  for (const key of ["vlan", "vxlan", "mac-vlan"]) {
    const section = iface[key];
    if (isObject(section) && text(section["base-iface"])) return section["base-iface"] as string;
  }
  return undefined;
}

function detailOf(iface: Json): string | undefined {
  const vlan = iface.vlan;
  if (isObject(vlan)) return `vlan ${String(vlan.id ?? "?")} on ${String(vlan["base-iface"] ?? "?")}`;
  const vxlan = iface.vxlan;
  if (isObject(vxlan)) return `vxlan ${String(vxlan.id ?? "?")}${vxlan["base-iface"] ? ` on ${String(vxlan["base-iface"])}` : ""}`;
  const bond = iface["link-aggregation"];
  if (isObject(bond)) return `bond mode ${String(bond.mode ?? "?")}`;
  const vrf = iface.vrf;
  if (isObject(vrf)) return `vrf table ${String(vrf["route-table-id"] ?? "?")}`;
  const veth = iface.veth;
  if (isObject(veth) && text(veth.peer)) return `veth peer ${veth.peer as string}`;
  return undefined;
}

/** What each of the node's enactments declared (its rendered desired state), by policy. Failed and aborted enactments declared nothing that holds. */
function declarations(enactments: readonly Enactment[]): { interfaces: Map<string, string[]>; routes: { policy: string; route: Json }[]; dns: string[] } {
  const interfaces = new Map<string, string[]>();
  const routes: { policy: string; route: Json }[] = [];
  const dns: string[] = [];
  for (const enactment of enactments) {
    const policy = enactment.metadata.labels?.["nmstate.io/policy"];
    const desired = enactment.status?.desiredState;
    const phase = currentPhase(enactment.status?.conditions);
    if (!policy || !isObject(desired) || phase === "Failing" || phase === "Aborted") continue;
    for (const iface of objects(desired.interfaces)) {
      const name = text(iface.name);
      if (!name) continue;
      interfaces.set(name, [...(interfaces.get(name) ?? []), policy]);
    }
    const declaredRoutes = isObject(desired.routes) ? objects(desired.routes.config) : [];
    for (const route of declaredRoutes) routes.push({ policy, route });
    const resolver = desired["dns-resolver"];
    if (isObject(resolver) && isObject(resolver.config)) dns.push(policy);
  }
  return { interfaces, routes, dns };
}

export function nodeTopology(node: string, state: NodeState | undefined, enactments: readonly Enactment[]): NodeTopology {
  const current = isObject(state?.status?.currentState) ? state.status.currentState : {};
  const declared = declarations(enactments.filter((e) => e.metadata.labels?.["nmstate.io/node"] === node));
  const raw = objects(current.interfaces).filter((i) => text(i.name) && i.type !== "loopback");
  const names = new Set(raw.map((i) => i.name as string));
  const interfaces: GraphInterface[] = raw.map((iface) => {
    const name = iface.name as string;
    const ipv4 = isObject(iface.ipv4) ? iface.ipv4 : {};
    const ipv6 = isObject(iface.ipv6) ? iface.ipv6 : {};
    const detail = detailOf(iface);
    return {
      name,
      type: text(iface.type) ?? "unknown",
      state: text(iface.state) ?? "unknown",
      ...(text(iface["mac-address"]) ? { mac: iface["mac-address"] as string } : {}),
      ...(typeof iface.mtu === "number" ? { mtu: iface.mtu } : {}),
      addresses: addressesOf(iface),
      dhcp: ipv4.dhcp === true || ipv6.dhcp === true,
      autoconf: ipv6.autoconf === true,
      ...(detail ? { detail } : {}),
      declaredBy: declared.interfaces.get(name) ?? [],
    };
  });

  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const edge = (from: string, to: string, kind: GraphEdge["kind"]) => {
    const key = `${from}\0${to}`;
    if (seen.has(key) || !names.has(from) || !names.has(to) || from === to) return;
    seen.add(key);
    edges.push({ from, to, kind });
  };
  for (const iface of raw) {
    const name = iface.name as string;
    if (text(iface.controller)) edge(name, iface.controller as string, "port");
    for (const port of portsOf(iface)) edge(port, name, "port");
    const base = baseOf(iface);
    if (base) edge(name, base, "base");
  }

  const routes = isObject(current.routes) ? objects(current.routes.running) : [];
  const defaultRoutes: DefaultRoute[] = routes
    .filter((r) => DEFAULT_DESTINATIONS.has(text(r.destination) ?? "") && (r["table-id"] === undefined || r["table-id"] === 254))
    .map((r) => {
      const destination = r.destination as string;
      const iface = text(r["next-hop-interface"]) ?? "";
      const gateway = text(r["next-hop-address"]) ?? "";
      const declaredBy = declared.routes
        .filter(({ route }) => route.destination === destination && (route["next-hop-interface"] === undefined || route["next-hop-interface"] === iface))
        .map(({ policy }) => policy);
      return { destination, gateway, iface, declaredBy: [...new Set(declaredBy)] };
    });

  const resolver = isObject(current["dns-resolver"]) ? current["dns-resolver"] : {};
  const running = isObject(resolver.running) ? resolver.running : {};
  const truncated = state?.status?.truncated?.reason;
  const lastUpdate = state?.status?.lastSuccessfulUpdateTime;
  return {
    node,
    stateVersion: state?.metadata.resourceVersion ?? "",
    ...(lastUpdate ? { lastUpdate } : {}),
    interfaces: interfaces.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true })),
    edges,
    defaultRoutes,
    dns: { servers: strings(running.server), search: strings(running.search), declaredBy: declared.dns },
    ...(truncated ? { truncated } : {}),
  };
}
