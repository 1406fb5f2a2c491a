/**
 * One canonical form of an interface for comparisons (diff, plan, verify):
 * addresses canonical and sorted, MACs upper-case, port lists sorted, report-only
 * fields dropped, and IP sections reduced so that equivalent spellings compare
 * equal (`{enabled: true}` with no address source is the same as `{enabled: false}`).
 */
import { clone } from "./objects.ts";
import { canonicalIp } from "./ip-address.ts";
import type { Interface } from "./schema/interface.ts";
import type { Address, Ipv4, Ipv6 } from "./schema/ip.ts";

const REPORT_ONLY = ["min-mtu", "max-mtu", "permanent-mac-address", "copy-mac-from"] as const;

export function normaliseAddresses(addresses: readonly Address[]): Address[] {
  return addresses
    .map((a) => ({ ip: canonicalIp(a.ip), "prefix-length": a["prefix-length"] }))
    .sort((x, y) => (x.ip === y.ip ? x["prefix-length"] - y["prefix-length"] : x.ip < y.ip ? -1 : 1));
}

export function normaliseIp<T extends Ipv4 | Ipv6>(ip: T | undefined): T {
  const dynamic = Boolean(ip?.dhcp || (ip as Ipv6 | undefined)?.autoconf);
  const addresses = normaliseAddresses(ip?.address ?? []);
  const settings: Record<string, unknown> = {};
  for (const key of ["forwarding", "addr-gen-mode", "accept-ra"] as const) {
    const value = (ip as Record<string, unknown> | undefined)?.[key];
    if (value !== undefined) settings[key] = value;
  }
  if (!ip || ip.enabled === false || (!dynamic && addresses.length === 0)) return { enabled: false, ...settings } as T;
  const out: Record<string, unknown> = { enabled: true, dhcp: Boolean(ip.dhcp) };
  if ("autoconf" in ip || (ip as Ipv6).autoconf !== undefined) out.autoconf = Boolean((ip as Ipv6).autoconf);
  out.address = addresses;
  if (dynamic) {
    for (const key of ["auto-dns", "auto-gateway", "auto-routes"] as const) out[key] = ip[key] ?? true;
    for (const key of ["auto-route-table-id", "auto-route-metric", "dhcp-client-id", "dhcp-duid"] as const) {
      const value = (ip as Record<string, unknown>)[key];
      if (value !== undefined) out[key] = value;
    }
  }
  return { ...out, ...settings } as T;
}

export function normaliseInterface(iface: Interface): Interface {
  const out: Interface = clone(iface);
  for (const key of REPORT_ONLY) delete out[key];
  if (out["mac-address"]) out["mac-address"] = out["mac-address"].toUpperCase();
  if (out.state === undefined) out.state = "up";
  if (out.controller === "") delete out.controller;
  if (out.state !== "absent") {
    out.ipv4 = normaliseIp(out.ipv4);
    out.ipv6 = normaliseIp(out.ipv6);
  }
  if (out.bridge?.port) out.bridge.port = [...out.bridge.port].sort((a, b) => a.name.localeCompare(b.name));
  if (out["link-aggregation"]?.port) out["link-aggregation"].port = [...out["link-aggregation"].port].sort();
  if (out.vrf?.port) out.vrf.port = [...out.vrf.port].sort();
  const targets = out["link-aggregation"]?.options?.arp_ip_target;
  if (targets) out["link-aggregation"]!.options!.arp_ip_target = targets.map(canonicalIp).sort();
  if (out.vxlan?.remote) out.vxlan.remote = canonicalIp(out.vxlan.remote);
  if (out.vxlan?.local) out.vxlan.local = canonicalIp(out.vxlan.local);
  if (out.lldp) delete out.lldp;
  if (out.ethernet && Object.keys(out.ethernet).length === 0) delete out.ethernet;
  return out;
}
