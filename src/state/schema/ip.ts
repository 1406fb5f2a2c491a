import { z } from "zod";
import { boolean, integer, u32 } from "./scalars.ts";

export const AddressSchema = z.strictObject({
  ip: z.string().describe("IP address without prefix, e.g. 192.0.2.10 or 2001:db8::10"),
  "prefix-length": integer(0, 128),
  /** Reported by `show` for DHCP/autoconf addresses; ignored on apply. */
  "valid-life-time": z.string().optional(),
  "preferred-life-time": z.string().optional(),
});
export type Address = z.infer<typeof AddressSchema>;

const commonIp = {
  enabled: boolean().optional(),
  dhcp: boolean().optional(),
  address: z.array(AddressSchema).optional(),
  "auto-dns": boolean().optional(),
  "auto-gateway": boolean().optional(),
  "auto-routes": boolean().optional(),
  "auto-route-table-id": u32().optional(),
  "auto-route-metric": u32().optional(),
  /** nmstate option: verification tolerates addresses not listed in `address`. */
  "allow-extra-address": boolean().optional(),
};

export const Ipv4Schema = z.strictObject({
  ...commonIp,
  "dhcp-client-id": z.string().optional(),
  /** Per-interface IPv4 forwarding. */
  forwarding: boolean().optional(),
});
export type Ipv4 = z.infer<typeof Ipv4Schema>;

export const Ipv6Schema = z.strictObject({
  ...commonIp,
  autoconf: boolean().optional(),
  /**
   * Whether the interface hears router advertisements (0 ignore them, 1 accept unless
   * forwarding, 2 accept even when forwarding), as `show` reads it. Not to be declared for its own
   * sake: an enabled IPv6 section sets it from `autoconf` (2 with autoconf, 0 without, as
   * NetworkManager accepts RAs only for autoconf); a revert state carries the value to restore.
   */
  "accept-ra": integer(0, 2).optional(),
  "dhcp-duid": z.string().optional(),
  "addr-gen-mode": z.enum(["eui64", "stable-privacy"]).optional(),
});
export type Ipv6 = z.infer<typeof Ipv6Schema>;

export type IpConfig = Ipv4 | Ipv6;
export const IP_FAMILIES = ["ipv4", "ipv6"] as const;
export type IpFamily = (typeof IP_FAMILIES)[number];

