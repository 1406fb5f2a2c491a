import { z } from "zod";
import { boolean, integer, interfaceName, u32 } from "./scalars.ts";

/** The kernel's bonding modes, in their numeric order (mode 0 … 6). */
export const BOND_MODES = [
  "balance-rr",
  "active-backup",
  "balance-xor",
  "broadcast",
  "802.3ad",
  "balance-tlb",
  "balance-alb",
] as const;
export type BondMode = (typeof BOND_MODES)[number];

const listOfAddresses = z.preprocess(
  (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string()),
);

/**
 * Bond options as the kernel names them (`/sys/class/net/BOND/bonding/*`).
 * Keys written with dashes are normalised to underscores before parsing.
 */
export const BondOptionsSchema = z.strictObject({
  miimon: u32().optional(),
  updelay: u32().optional(),
  downdelay: u32().optional(),
  peer_notif_delay: u32().optional(),
  use_carrier: boolean().optional(),
  arp_interval: u32().optional(),
  arp_ip_target: listOfAddresses.optional(),
  ns_ip6_target: listOfAddresses.optional(),
  arp_validate: z
    .enum(["none", "active", "backup", "all", "filter", "filter_active", "filter_backup"])
    .optional(),
  arp_all_targets: z.enum(["any", "all"]).optional(),
  arp_missed_max: integer(1, 255).optional(),
  primary: interfaceName().optional(),
  primary_reselect: z.enum(["always", "better", "failure"]).optional(),
  fail_over_mac: z.enum(["none", "active", "follow"]).optional(),
  xmit_hash_policy: z
    .enum(["layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac"])
    .optional(),
  lacp_rate: z.enum(["slow", "fast"]).optional(),
  lacp_active: z.enum(["on", "off"]).optional(),
  ad_select: z.enum(["stable", "bandwidth", "count"]).optional(),
  ad_actor_sys_prio: integer(1, 65535).optional(),
  ad_actor_system: z.string().optional(),
  ad_user_port_key: integer(0, 1023).optional(),
  min_links: u32().optional(),
  all_slaves_active: boolean().optional(),
  num_grat_arp: integer(0, 255).optional(),
  num_unsol_na: integer(0, 255).optional(),
  packets_per_slave: integer(0, 65535).optional(),
  lp_interval: integer(1, 0x7fff_ffff).optional(),
  resend_igmp: integer(0, 255).optional(),
  tlb_dynamic_lb: boolean().optional(),
});
export type BondOptions = z.infer<typeof BondOptionsSchema>;

export const BondPortConfigSchema = z.strictObject({
  name: interfaceName(),
  "queue-id": integer(0, 65535).optional(),
  priority: integer(-0x8000_0000, 0x7fff_ffff).optional(),
});

export const LinkAggregationSchema = z.strictObject({
  mode: z.enum(BOND_MODES).optional(),
  port: z.array(interfaceName()).optional(),
  options: BondOptionsSchema.optional(),
  "ports-config": z.array(BondPortConfigSchema).optional(),
});
export type LinkAggregation = z.infer<typeof LinkAggregationSchema>;
