/**
 * The ordered list of operations that turns the current state into the merged
 * one. Order is derived, never asked of the user: dynamic addressing stopped
 * and routes removed first; then ports detached, links removed (deepest
 * first), links created (shallowest first), link and controller options,
 * ports attached, port options, addresses removed, links brought up, addresses
 * added, routes added, DHCP/autoconf started, and DNS last. Applying a state
 * the host already has yields no operations at all.
 */
import type { MergedInterface, MergedState } from "../merge/index.ts";
import { kernelRouteKey } from "../merge/routes.ts";
import type { Route } from "../schema/routes.ts";
import { normaliseDns } from "../diff.ts";
import { normaliseAddresses, normaliseInterface } from "../normalise.ts";
import { deepEqual } from "../objects.ts";
import type { Interface } from "../schema/interface.ts";
import type { Ipv4, Ipv6 } from "../schema/ip.ts";
import { depths } from "./depth.ts";
import type { DhcpSettings, DynamicAddressing, Operation } from "./operations.ts";
import { PlanBuilder } from "./builder.ts";
import { planIpv4Order } from "./ipv4-order.ts";
import { kindOf } from "../kinds/index.ts";

export * from "./operations.ts";
export { depths } from "./depth.ts";

function dhcpSettings(ip: Ipv4 | Ipv6): DhcpSettings {
  return {
    autoDns: ip["auto-dns"] ?? true,
    autoGateway: ip["auto-gateway"] ?? true,
    autoRoutes: ip["auto-routes"] ?? true,
    ...(ip["auto-route-table-id"] !== undefined ? { tableId: ip["auto-route-table-id"] } : {}),
    ...(ip["auto-route-metric"] !== undefined ? { metric: ip["auto-route-metric"] } : {}),
    ...("dhcp-client-id" in ip && ip["dhcp-client-id"] ? { clientId: ip["dhcp-client-id"] } : {}),
  };
}

/** The nmstate `auto-*` fields a running client's settings stand for (what a read reports). */
export function autoSettingsFields(s: DhcpSettings): Record<string, boolean | number> {
  return {
    "auto-dns": s.autoDns,
    "auto-gateway": s.autoGateway,
    "auto-routes": s.autoRoutes,
    ...(s.tableId !== undefined ? { "auto-route-table-id": s.tableId } : {}),
    ...(s.metric !== undefined ? { "auto-route-metric": s.metric } : {}),
  };
}

export function dynamicAddressing(iface: Interface | undefined): DynamicAddressing {
  const out: DynamicAddressing = {};
  if (!iface || iface.state === "absent") return out;
  if (iface.ipv4?.enabled !== false && iface.ipv4?.dhcp) out.dhcp4 = dhcpSettings(iface.ipv4);
  if (iface.ipv6?.enabled !== false && iface.ipv6?.dhcp) out.dhcp6 = dhcpSettings(iface.ipv6);
  if (iface.ipv6?.enabled !== false && iface.ipv6?.autoconf) out.autoconf = dhcpSettings(iface.ipv6);
  return out;
}

/** Two new veth ends: the one with the lower name creates the pair (`… peer name OTHER`). */
function createdByPeer(m: MergedInterface, merged: MergedState): boolean {
  const peer = m.merged.type === "veth" ? m.merged.veth?.peer : undefined;
  if (!peer) return false;
  const other = merged.interfaces.get(peer);
  return Boolean(other && !other.current && other.merged.type === "veth" && other.merged.state !== "absent" && peer < m.name);
}

const isEmptyDynamic = (d: DynamicAddressing) => !d.dhcp4 && !d.dhcp6 && !d.autoconf;
const cannotDelete = (type: string | undefined) => type === "ethernet" || type === "loopback" || type === "unknown" || type === undefined;

function planInterface(b: PlanBuilder, m: MergedInterface, merged: MergedState, options: PlanOptions): void {
  const c = m.current ? normaliseInterface(m.current) : undefined;
  const removing = m.merged.state === "absent";

  const dynBefore = dynamicAddressing(m.current);
  const dynAfter = removing ? {} : dynamicAddressing(m.merged);
  if (!deepEqual(dynBefore, dynAfter)) {
    b.add(isEmptyDynamic(dynAfter) ? "dynamic-stop" : "dynamic-start", { op: "dynamic", name: m.name, settings: dynAfter });
  }

  if (removing) {
    if (!c) return;
    if (cannotDelete(c.type)) {
      // A NIC cannot be deleted: "absent" takes it down and clears its addresses.
      if (c.state !== "down") b.add("detach", { op: "link-state", name: m.name, up: false });
      for (const family of ["ipv4", "ipv6"] as const) {
        for (const a of c[family]?.address ?? []) b.add("address-remove", { op: "addr-del", name: m.name, ip: a.ip, prefix: a["prefix-length"] });
      }
      return;
    }
    const peer = c.type === "veth" ? m.current?.veth?.peer : undefined;
    const peerAlsoRemoved = peer !== undefined && merged.interfaces.get(peer)?.merged.state === "absent";
    // Deleting one end of a veth deletes both; emit it once.
    if (!(peerAlsoRemoved && peer! < m.name)) b.add("link-remove", { op: "link-del", name: m.name });
    return;
  }

  const t = normaliseInterface(m.merged);
  const before: Interface = c ?? { name: m.name, state: "down", ipv4: { enabled: false }, ipv6: { enabled: false } };
  if (!c && !createdByPeer(m, merged)) {
    const create = kindOf(t.type)?.create?.(t);
    if (create) b.add("link-create", { op: "link-add", name: m.name, create });
  }

  const linkSet: Extract<Operation, { op: "link-set" }> = { op: "link-set", name: m.name };
  if (t.mtu !== undefined && t.mtu !== before.mtu) linkSet.mtu = t.mtu;
  if (t["mac-address"] && t["mac-address"] !== before["mac-address"]) linkSet.mac = t["mac-address"];
  if (t.description !== undefined && t.description !== (before.description ?? "")) linkSet.description = t.description;
  if (t["accept-all-mac-addresses"] !== undefined && t["accept-all-mac-addresses"] !== Boolean(before["accept-all-mac-addresses"])) {
    linkSet.acceptAllMac = t["accept-all-mac-addresses"];
  }
  if (Object.keys(linkSet).length > 2) b.add("link-options", linkSet);

  kindOf(t.type)?.plan?.(b, m.name, t, c);

  const isBond = (name: string) => Boolean(name) && (merged.interfaces.get(name)?.current ?? merged.interfaces.get(name)?.merged ?? merged.current.interfaces?.find((i) => i.name === name))?.type === "bond";
  const controllerBefore = before.controller ?? "";
  const controllerAfter = t.controller ?? "";
  if (controllerAfter !== controllerBefore) {
    if (controllerBefore && !controllerAfter) b.add("detach", { op: "link-controller", name: m.name, controller: null });
    if (controllerAfter) {
      const controller = merged.interfaces.get(controllerAfter)?.merged ?? merged.current.interfaces?.find((i) => i.name === controllerAfter);
      // The bonding driver takes only ports that are down; they come up again with the bond.
      if (controller?.type === "bond" && before.state !== "down") b.add("attach", { op: "link-state", name: m.name, up: false });
      b.add("attach", { op: "link-controller", name: m.name, controller: controllerAfter });
    }
  }

  for (const family of ["ipv4", "ipv6"] as const) {
    const forwarding = family === "ipv4" ? (m.desired?.ipv4 as Ipv4 | undefined)?.forwarding : undefined;
    if (forwarding !== undefined && forwarding !== (c?.ipv4 as Ipv4 | undefined)?.forwarding) {
      b.add("ip-switches", { op: "ipv4-forwarding", name: m.name, enabled: forwarding });
    }
    const switched = family === "ipv6" ? planIpv6Switch(b, m) : undefined;
    if (family === "ipv6") planAcceptRa(b, m);
    if (family === "ipv4") {
      // IPv4 in declared order: the first address of a subnet is its primary (see ipv4-order.ts).
      // m.current and m.merged, not their normalised (sorted) copies: they keep the kernel's and the user's order.
      const declared = t.ipv4?.enabled === false ? [] : (m.merged.ipv4?.address ?? []);
      const { remove, add } = planIpv4Order(c ? (m.current?.ipv4?.address ?? []) : [], declared, { exact: options.exactAddressOrder });
      for (const a of remove) b.add("address-remove", { op: "addr-del", name: m.name, ip: a.ip, prefix: a["prefix-length"] });
      for (const a of add) b.add("address-add", { op: "addr-add", name: m.name, ip: a.ip, prefix: a["prefix-length"] });
      continue;
    }
    const want = t.ipv6?.enabled === false ? [] : normaliseAddresses(t.ipv6?.address ?? []);
    // Taking a link down flushes its IPv6 addresses (unless keep_addr_on_down), and so does turning
    // IPv6 off: they must not be removed again, and are added again afterwards.
    const goingDown = t.state === "down" && before.state === "up";
    const have = goingDown || switched === "off" ? [] : normaliseAddresses(before.ipv6?.address ?? []);
    const key = (a: { ip: string; "prefix-length": number }) => `${a.ip}/${a["prefix-length"]}`;
    const wantKeys = new Set(want.map(key));
    const haveKeys = new Set(have.map(key));
    for (const a of have) if (!wantKeys.has(key(a))) b.add("address-remove", { op: "addr-del", name: m.name, ip: a.ip, prefix: a["prefix-length"] });
    for (const a of want) if (!haveKeys.has(key(a))) b.add("address-add", { op: "addr-add", name: m.name, ip: a.ip, prefix: a["prefix-length"] });
  }

  const up = t.state !== "down";
  const wasUp = before.state === "up";
  // The bonding driver takes a port down when it joins (see attach) and when it leaves the bond, whether
  // the bond's port list dropped it or the bond was removed: a port declared up is brought up again.
  const bondPortDowned = controllerAfter !== controllerBefore && (isBond(controllerAfter) || isBond(controllerBefore));
  if (up !== wasUp || (up && bondPortDowned)) b.add(up ? "link-up" : "detach", { op: "link-state", name: m.name, up });
}

/**
 * The interface's IPv6 switch, as NetworkManager sets it for nmstate: a
 * declared `ipv6: {enabled: false}` turns IPv6 off on that interface (the
 * kernel drops its addresses, link-local included, and ignores router
 * advertisements); any other declared IPv6 section turns it back on where it
 * is off. Ports disabled only by implication (a bridge or bond port)
 * keep the kernel's IPv6 as it is.
 */
function planIpv6Switch(b: PlanBuilder, m: MergedInterface): "on" | "off" | undefined {
  const declared = m.desired?.ipv6;
  if (!declared) return undefined;
  // A new link starts with IPv6 on; `current.ipv6.enabled` is the switch as read (unknown: left alone).
  const on = m.current ? m.current.ipv6?.enabled : true;
  const wanted = declared.enabled !== false;
  if (on === undefined || on === wanted) return undefined;
  b.add("ip-switches", { op: "ipv6-switch", name: m.name, enabled: wanted });
  return wanted ? "on" : "off";
}

/**
 * The router-advertisement switch (`ipv6.accept-ra`) where the merged state
 * sets it (see impliedAcceptRa). It is set with the other per-interface
 * switches, before the link comes up: a new link solicits routers as it comes up, and
 * the answer must find RAs already ignored. A new link's value is unknown
 * here (the namespace's default), so it is always written.
 */
function planAcceptRa(b: PlanBuilder, m: MergedInterface): void {
  const want = m.merged.state === "absent" ? undefined : m.merged.ipv6?.["accept-ra"];
  const have = m.current?.ipv6?.["accept-ra"];
  if (want === undefined || (m.current && have === want)) return;
  b.add("ip-switches", { op: "ipv6-accept-ra", name: m.name, accept: want as 0 | 1 | 2 });
  // What earlier RAs left goes too, as NetworkManager drops it for a static profile: the RA default and
  // prefix routes, and the SLAAC addresses (DHCPv6 leases are dynamic as well: kept while DHCP is on).
  // nodenet's own autoconf is stopped by its dynamic operation instead.
  if (want !== 0 || !m.current || have === 0 || m.current.ipv6?.autoconf) return;
  if (!m.merged.ipv6?.dhcp) b.add("address-remove", { op: "ra-flush", name: m.name, what: "addresses" });
  b.add("address-remove", { op: "ra-flush", name: m.name, what: "routes" });
}

export interface PlanOptions {
  /** Restore the order of IPv4 primaries across subnets too (a rollback to an earlier reading; see ipv4-order.ts). */
  exactAddressOrder?: boolean;
}

export function plan(merged: MergedState, options: PlanOptions = {}): Operation[] {
  const b = new PlanBuilder();
  const all = new Map<string, Interface>();
  for (const iface of merged.current.interfaces ?? []) all.set(iface.name, iface);
  for (const m of merged.interfaces.values()) if (m.merged.state !== "absent") all.set(m.name, m.merged);
  const depth = depths(all.values());
  const byDepth = [...merged.interfaces.values()].sort((x, y) => (depth.get(x.name) ?? 0) - (depth.get(y.name) ?? 0) || x.name.localeCompare(y.name));
  for (const m of byDepth) planInterface(b, m, merged, options);

  const removed = new Set([...merged.interfaces.values()].filter((m) => m.merged.state === "absent" && !cannotDelete(m.current?.type)).map((m) => m.name));
  // The kernel holds one route per (table, destination, metric); several
  // routes of one slot are one ECMP route, written whole with its nexthops.
  // A slot that keeps members is rewritten, not deleted member by member.
  const slotOf = (route: Route) => kernelRouteKey(route);
  const members = new Map<string, Route[]>();
  for (const route of merged.routes.merged) {
    if (route["route-type"]) continue;
    members.set(slotOf(route), [...(members.get(slotOf(route)) ?? []), route]);
  }
  const ecmp = (route: Route) => !route["route-type"] && (members.get(slotOf(route))?.length ?? 0) > 1;
  const rewritten = new Set([...merged.routes.add, ...merged.routes.remove].filter((r) => ecmp(r) || (merged.routes.remove.includes(r) && members.has(slotOf(r)))).map(slotOf));
  for (const route of merged.routes.remove) {
    // Routes through a deleted link go with it.
    if (rewritten.has(slotOf(route))) continue;
    if (!removed.has(route["next-hop-interface"] ?? "")) b.add("routes-remove", { op: "route-del", route });
  }
  for (const rule of merged.rules.remove) b.add("routes-remove", { op: "rule-del", rule });
  for (const slot of rewritten) {
    const routes = members.get(slot) ?? [];
    if (routes.length > 1) b.add("routes-add", { op: "route-multipath", routes });
    else if (routes.length === 1) b.add("routes-add", { op: "route-add", route: routes[0]! });
  }
  for (const route of merged.routes.add) if (!rewritten.has(slotOf(route))) b.add("routes-add", { op: "route-add", route });
  for (const rule of merged.rules.add) b.add("routes-add", { op: "rule-add", rule });
  if (merged.dns && !deepEqual(normaliseDns(merged.dns.current), normaliseDns(merged.dns.merged))) b.add("resolver", { op: "dns", config: merged.dns.merged });
  if (merged.hostname && merged.hostname.merged !== merged.hostname.current) b.add("resolver", { op: "hostname", name: merged.hostname.merged });

  const ops = b.build();
  // Removals run deepest first.
  const removals = ops.filter((op) => op.op === "link-del");
  removals.sort((x, y) => (depth.get((y as { name: string }).name) ?? 0) - (depth.get((x as { name: string }).name) ?? 0));
  let r = 0;
  return ops.map((op) => (op.op === "link-del" ? removals[r++]! : op));
}

