/**
 * Dynamic addressing against a simulated DHCP server, the resolver, and the
 * hostname. A `dynamic` operation records the interface's settings (what
 * `read()` reports as `dhcp: true` / `autoconf: true`) and, for each family
 * that starts, takes the lease the test offered for that interface: its
 * address (reported in HostSnapshot.dynamic), a default route through its
 * gateway (auto-gateway; table and metric from the settings, metric 100 by
 * default as nodenet's DHCP hook uses) and its DNS servers (auto-dns).
 *
 * As with the kernel backend, DHCP without a lease fails the operation
 * ("no DHCPv4 lease on IFACE"); SLAAC without a lease just switches on.
 */
import { deepEqual } from "../../state/objects.ts";
import type { DhcpSettings, DynamicAddressing } from "../../state/plan/operations.ts";
import type { DnsConfig } from "../../state/schema/dns.ts";
import { addAddress, addressFamily, removeAddresses } from "./addresses.ts";
import { fail, getLink, type Family, type MemHost } from "./model.ts";
import { addRoute, routeFamily } from "./routes.ts";

/** What the simulated DHCP server (or router advertisement, for IPv6) hands an interface. */
export interface DhcpLease {
  ip: string;
  prefix: number;
  gateway?: string;
  dns?: string[];
}

export type Leases = ReadonlyMap<string, readonly DhcpLease[]>;

const isEmpty = (d: DynamicAddressing) => !d.dhcp4 && !d.dhcp6 && !d.autoconf;

/** The settings that drive one family, and whether that family is DHCP (which needs a lease). */
function familySettings(d: DynamicAddressing, family: Family): { settings: DhcpSettings; dhcp: boolean } | undefined {
  if (family === "ipv4") return d.dhcp4 ? { settings: d.dhcp4, dhcp: true } : undefined;
  if (d.dhcp6) return { settings: d.dhcp6, dhcp: true };
  return d.autoconf ? { settings: d.autoconf, dhcp: false } : undefined;
}

const leaseFor = (leases: Leases, name: string, family: Family) => leases.get(name)?.find((l) => addressFamily(l.ip) === family);

/** Ends a family's dynamic addressing: its addresses, learned routes and DNS servers go. */
function stop(host: MemHost, name: string, family: Family): void {
  const link = host.links.get(name);
  if (!link) return;
  const dynamic = link.addresses[family].filter((a) => a.dynamic);
  if (dynamic.length) removeAddresses(host, link, family, dynamic);
  host.routes = host.routes.filter((r) => !(r.proto === "dhcp" && r.route["next-hop-interface"] === name && routeFamily(r.route) === family));
  host.learnedDns.delete(`${name}/${family}`);
}

function start(host: MemHost, name: string, family: Family, settings: DhcpSettings, lease: DhcpLease): void {
  addAddress(host, name, lease.ip, lease.prefix, true);
  if (settings.autoGateway && lease.gateway) {
    const route = {
      destination: family === "ipv4" ? "0.0.0.0/0" : "::/0",
      "next-hop-address": lease.gateway,
      "next-hop-interface": name,
      metric: settings.metric ?? (family === "ipv4" ? 100 : 1024),
      "table-id": settings.tableId ?? 254,
    };
    addRoute(host, route, "dhcp");
  }
  if (settings.autoDns && lease.dns?.length) host.learnedDns.set(`${name}/${family}`, [...lease.dns]);
}

/** The `dynamic` operation: make an interface's DHCP/SLAAC what `settings` says. */
export function setDynamic(host: MemHost, name: string, settings: DynamicAddressing, leases: Leases): void {
  const link = getLink(host, name);
  const before = host.dynamic.get(name) ?? {};
  const changes: { family: Family; after?: { settings: DhcpSettings; dhcp: boolean }; lease?: DhcpLease }[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const was = familySettings(before, family);
    const after = familySettings(settings, family);
    if (deepEqual(was, after)) continue;
    const lease = after ? leaseFor(leases, name, family) : undefined;
    if (after?.dhcp && (!lease || !link.up)) fail(`no DHCP${family === "ipv4" ? "v4" : "v6"} lease on ${name}`);
    changes.push({ family, ...(after ? { after } : {}), ...(lease ? { lease } : {}) });
  }
  for (const change of changes) {
    stop(host, name, change.family);
    if (change.after && change.lease && link.up) start(host, name, change.family, change.after.settings, change.lease);
  }
  // As the kernel backend switches SLAAC: accept_ra=2 on, 0 off.
  if (Boolean(before.autoconf) !== Boolean(settings.autoconf)) link.acceptRa = settings.autoconf ? 2 : 0;
  if (isEmpty(settings)) host.dynamic.delete(name);
  else host.dynamic.set(name, structuredClone(settings));
}

/** Starts what an initial state declares, taking leases where the test offered them (no failure without one). */
export function startInitialDynamic(host: MemHost, name: string, settings: DynamicAddressing, leases: Leases): void {
  if (isEmpty(settings)) return;
  host.dynamic.set(name, structuredClone(settings));
  const link = host.links.get(name);
  for (const family of ["ipv4", "ipv6"] as const) {
    const s = familySettings(settings, family);
    const lease = s ? leaseFor(leases, name, family) : undefined;
    if (s && lease && link?.up) start(host, name, family, s.settings, lease);
  }
}

/** The `dns` operation: the static resolver configuration, replaced whole ({} clears it). */
export function setDns(host: MemHost, config: DnsConfig): void {
  const dns = { server: [...(config.server ?? [])], search: [...(config.search ?? [])], options: [...(config.options ?? [])] };
  if (dns.server.length + dns.search.length + dns.options.length === 0) delete host.dns;
  else host.dns = dns;
}
