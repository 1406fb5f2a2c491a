/**
 * Administrative state, with what the kernel does along with it: taking a
 * link down drops every route through it and its IPv6 addresses
 * (keep_addr_on_down = 0) and takes its VLANs down; bringing it up brings its
 * VLANs up (unless loose-binding); a VLAN cannot come up on a down base.
 */
import { fail, getLink, lowerOf, type MemHost, type MemLink } from "./model.ts";
import { flushRoutes, viaLink } from "./routes.ts";

export const uppers = (host: MemHost, link: MemLink) => [...host.links.values()].filter((l) => lowerOf(l) === link.name);

/** Admin down: routes through the link and its IPv6 addresses go; its VLANs follow it down. */
export function takeDown(host: MemHost, link: MemLink): void {
  if (!link.up) return;
  link.up = false;
  flushRoutes(host, viaLink(link.name));
  link.addresses.ipv6 = [];
  for (const upper of uppers(host, link)) if (upper.type === "vlan" && !upper.vlan?.["loose-binding"]) takeDown(host, upper);
}

export function bringUp(host: MemHost, link: MemLink): void {
  if (link.up) return;
  const base = link.type === "vlan" ? host.links.get(link.vlan?.["base-iface"] ?? "") : undefined;
  if (base && !base.up && !link.vlan?.["loose-binding"]) fail("RTNETLINK answers: Network is down");
  link.up = true;
  for (const upper of uppers(host, link)) if (upper.type === "vlan" && !upper.vlan?.["loose-binding"]) bringUp(host, upper);
}

/** `ip link set dev NAME up|down` */
export function setLinkState(host: MemHost, name: string, up: boolean): void {
  const link = getLink(host, name);
  if (up) bringUp(host, link);
  else takeDown(host, link);
}
