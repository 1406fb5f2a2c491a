/**
 * Addresses with the kernel's bookkeeping, as measured on Linux 6.x with
 * default sysctls:
 *
 * - IPv4 keeps primaries in the order added and puts an address of a subnet
 *   that already has one after all of them, as a secondary; removing a
 *   primary removes its secondaries too (promote_secondaries = 0);
 * - IPv6 lists the newest address first;
 * - removing the last IPv4 address of a link flushes every IPv4 route through
 *   it, and removing an address flushes routes that use it as `src`; routes
 *   whose gateway was in a removed subnet otherwise stay (so do IPv6 routes);
 * - `ip address replace` of an address the link has keeps its place and makes
 *   it permanent (a DHCP address becomes a static one).
 */
import { canonicalIp, familyOfText, networkOf, parseIp } from "../../state/ip-address.ts";
import { fail, getLink, type Family, type MemAddress, type MemHost, type MemLink } from "./model.ts";
import { flushRoutes, routeFamily, viaLink } from "./routes.ts";

export const addressFamily = (ip: string): Family => (familyOfText(ip) === 6 ? "ipv6" : "ipv4");

function subnetKey(ip: string, prefix: number): string {
  const parsed = parseIp(ip);
  return parsed ? `${networkOf(parsed, prefix).address.value}/${prefix}` : `${ip}/${prefix}`;
}

const sameAddress = (family: Family, a: MemAddress, ip: string, prefix: number) => a.ip === ip && (family === "ipv6" || a.prefix === prefix);

/** `ip address replace IP/PREFIX dev NAME` (static) or an address a lease brings (dynamic). */
export function addAddress(host: MemHost, name: string, text: string, prefix: number, dynamic = false): void {
  const link = getLink(host, name);
  const ip = canonicalIp(text);
  const family = addressFamily(ip);
  const list = link.addresses[family];
  const existing = list.find((a) => sameAddress(family, a, ip, prefix));
  if (existing) {
    existing.prefix = prefix;
    if (!dynamic) existing.dynamic = false;
    return;
  }
  const address: MemAddress = { ip, prefix, dynamic };
  if (family === "ipv6") {
    list.unshift(address);
    return;
  }
  const subnet = subnetKey(ip, prefix);
  if (list.some((a) => subnetKey(a.ip, a.prefix) === subnet)) {
    list.push({ ...address, secondary: true });
    return;
  }
  const lastPrimary = list.findLastIndex((a) => !a.secondary);
  list.splice(lastPrimary + 1, 0, address);
}

/** `ip address del IP/PREFIX dev NAME` */
export function deleteAddress(host: MemHost, name: string, text: string, prefix: number): void {
  const link = getLink(host, name);
  const ip = canonicalIp(text);
  const family = addressFamily(ip);
  const address = link.addresses[family].find((a) => a.ip === ip && a.prefix === prefix);
  if (!address) fail(family === "ipv4" ? "Error: ipv4: Address not found." : "Error: ipv6: address not found.");
  removeAddresses(host, link, family, [address!]);
}

/** Removes addresses with what the kernel removes along with them. */
export function removeAddresses(host: MemHost, link: MemLink, family: Family, addresses: readonly MemAddress[]): void {
  const gone = new Set(addresses);
  if (family === "ipv4") {
    for (const a of addresses) {
      if (a.secondary) continue;
      const subnet = subnetKey(a.ip, a.prefix);
      for (const b of link.addresses.ipv4) if (b.secondary && subnetKey(b.ip, b.prefix) === subnet) gone.add(b);
    }
  }
  link.addresses[family] = link.addresses[family].filter((a) => !gone.has(a));
  const goneIps = new Set([...gone].map((a) => a.ip));
  flushRoutes(host, (r) => r.source !== undefined && goneIps.has(r.source) && routeFamily(r) === family);
  if (family === "ipv4" && link.addresses.ipv4.length === 0) flushRoutes(host, viaLink(link.name, "ipv4"));
}
