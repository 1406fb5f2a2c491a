/**
 * The `ipv4`/`ipv6` sections of an interface from its `addr_info` and its
 * sysctls.
 *
 * - Addresses keep the kernel's order; IPv6 link-local (fe80::/10) addresses
 *   are left out, as nmstate does. Lifetimes are not reported: an address
 *   with a finite valid lifetime is dynamic (DHCP, SLAAC, or added with
 *   `valid_lft`), and is listed in the snapshot's `dynamicAddresses` instead.
 * - `dhcp` is always false here: the kernel does not know about DHCP clients;
 *   the backend that runs them overlays what it configured.
 * - `ipv4.enabled` is whether the interface has an IPv4 address (the kernel
 *   has no IPv4 on/off switch); `ipv6.enabled` is `disable_ipv6 == 0`.
 * - `ipv6.autoconf` is whether the kernel would configure addresses from
 *   router advertisements: `autoconf == 1` and RAs accepted (`accept_ra == 2`,
 *   or `accept_ra == 1` while the interface does not forward). The kernel
 *   backend replaces it with what nodenet runs; `ipv6.accept-ra` keeps the
 *   kernel's own switch, so `show` says whether an RA would be heard.
 */
import { dynamicKey } from "../../backend.ts";
import type { IpAddrInfo, IpLink } from "./ipjson.ts";
import type { Address, Ipv4, Ipv6 } from "../../../state/schema/index.ts";
import { canonicalIp, isLinkLocal, parseIp } from "../../../state/ip-address.ts";

/** iproute2 prints INFINITY_LIFE_TIME (0xffffffff) for permanent addresses. */
export const FOREVER = 4294967295;

export const isDynamic = (a: IpAddrInfo) => a.valid_life_time !== undefined && a.valid_life_time !== FOREVER;

function addressesOf(link: IpLink, family: "inet" | "inet6"): IpAddrInfo[] {
  return (link.addr_info ?? []).filter((a) => a.family === family && typeof a.local === "string");
}

function reported(info: IpAddrInfo): Address {
  return { ip: canonicalIp(info.local), "prefix-length": info.prefixlen };
}

function isV6LinkLocal(info: IpAddrInfo): boolean {
  const parsed = parseIp(info.local);
  return parsed !== undefined && parsed.family === 6 && isLinkLocal(parsed);
}

const flag = (value: string | undefined): boolean | undefined => (value === undefined ? undefined : value.trim() !== "0");
const int = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
};

const ADDR_GEN_MODES: Record<number, Ipv6["addr-gen-mode"]> = { 0: "eui64", 2: "stable-privacy" };

export function ipv4Section(link: IpLink, sysctl: ReadonlyMap<string, string> | undefined): Ipv4 {
  const addresses = addressesOf(link, "inet");
  const out: Ipv4 = { enabled: addresses.length > 0, dhcp: false, address: addresses.map(reported) };
  const forwarding = flag(sysctl?.get("ipv4/forwarding"));
  if (forwarding !== undefined) out.forwarding = forwarding;
  return out;
}

export function ipv6Section(link: IpLink, sysctl: ReadonlyMap<string, string> | undefined): Ipv6 {
  const all = addressesOf(link, "inet6");
  const disabled = flag(sysctl?.get("ipv6/disable_ipv6"));
  const enabled = disabled === undefined ? all.length > 0 : !disabled;
  const out: Ipv6 = { enabled, dhcp: false, address: all.filter((a) => !isV6LinkLocal(a)).map(reported) };
  const autoconf = flag(sysctl?.get("ipv6/autoconf"));
  const acceptRa = int(sysctl?.get("ipv6/accept_ra"));
  const forwarding = flag(sysctl?.get("ipv6/forwarding"));
  if (autoconf !== undefined && acceptRa !== undefined && forwarding !== undefined) {
    const loopback = (link.flags ?? []).includes("LOOPBACK");
    out.autoconf = enabled && !loopback && autoconf && (acceptRa === 2 || (acceptRa === 1 && !forwarding));
  }
  if (acceptRa !== undefined && acceptRa >= 0 && acceptRa <= 2) out["accept-ra"] = acceptRa;
  const mode = ADDR_GEN_MODES[int(sysctl?.get("ipv6/addr_gen_mode")) ?? -1];
  if (mode) out["addr-gen-mode"] = mode;
  return out;
}

/** `iface/ip/prefix` of every address with a finite valid lifetime (link-local ones included). */
export function dynamicAddressesOf(link: IpLink): string[] {
  return (link.addr_info ?? [])
    .filter((a) => typeof a.local === "string" && isDynamic(a))
    .map((a) => dynamicKey(link.ifname, canonicalIp(a.local), a.prefixlen));
}
