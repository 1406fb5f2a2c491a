/**
 * `bond` sections (`link-aggregation`) from `ip -d` bond `info_data` and the
 * ports' `info_slave_data`. Options use the kernel's sysfs names, as nmstate
 * does; iproute2 names some differently (see OPTION_NAMES). Every option the
 * kernel reports is listed, also those that do not apply to the mode (nmstate
 * shows them too); the kernel only leaves out the 802.3ad actor settings in
 * other modes.
 */
import type { IpLink } from "../read/ipjson.ts";
import type { BondMode, BondOptions, LinkAggregation } from "../../../state/schema/index.ts";
import { BOND_MODES } from "../../../state/schema/index.ts";
import { byName, numberOf, stringOf } from "../read/values.ts";
import type { KernelKind } from "./kind.ts";

type OptionKey = keyof BondOptions;
type Kind = "number" | "boolean" | "string" | "list";

/**
 * Schema key → [iproute2 JSON key, value kind], in the schema's key order so
 * that the output's key order follows it too.
 */
const OPTION_NAMES: ReadonlyArray<readonly [OptionKey, string, Kind]> = [
  ["miimon", "miimon", "number"],
  ["updelay", "updelay", "number"],
  ["downdelay", "downdelay", "number"],
  ["peer_notif_delay", "peer_notify_delay", "number"],
  ["use_carrier", "use_carrier", "boolean"],
  ["arp_interval", "arp_interval", "number"],
  ["arp_ip_target", "arp_ip_target", "list"],
  ["ns_ip6_target", "ns_ip6_target", "list"],
  ["arp_validate", "arp_validate", "string"],
  ["arp_all_targets", "arp_all_targets", "string"],
  ["arp_missed_max", "arp_missed_max", "number"],
  ["primary", "primary", "string"],
  ["primary_reselect", "primary_reselect", "string"],
  ["fail_over_mac", "fail_over_mac", "string"],
  ["xmit_hash_policy", "xmit_hash_policy", "string"],
  ["lacp_rate", "ad_lacp_rate", "string"],
  ["lacp_active", "ad_lacp_active", "string"],
  ["ad_select", "ad_select", "string"],
  ["ad_actor_sys_prio", "ad_actor_sys_prio", "number"],
  ["ad_actor_system", "ad_actor_system", "string"],
  ["ad_user_port_key", "ad_user_port_key", "number"],
  ["min_links", "min_links", "number"],
  ["all_slaves_active", "all_slaves_active", "boolean"],
  // The kernel keeps one value (num_peer_notif) behind both sysfs names.
  ["num_grat_arp", "num_peer_notif", "number"],
  ["num_unsol_na", "num_peer_notif", "number"],
  ["packets_per_slave", "packets_per_slave", "number"],
  ["lp_interval", "lp_interval", "number"],
  ["resend_igmp", "resend_igmp", "number"],
  ["tlb_dynamic_lb", "tlb_dynamic_lb", "boolean"],
];

export function bondOptions(data: Record<string, unknown>): BondOptions {
  const out: Record<string, unknown> = {};
  for (const [key, ipKey, kind] of OPTION_NAMES) {
    const value = data[ipKey];
    if (kind === "number") {
      const n = numberOf(value);
      if (n !== undefined) out[key] = n;
    } else if (kind === "boolean") {
      const n = numberOf(value);
      if (n !== undefined) out[key] = n !== 0;
      else if (typeof value === "boolean") out[key] = value;
    } else if (kind === "list") {
      if (Array.isArray(value) && value.length > 0) out[key] = value.filter((v): v is string => typeof v === "string");
    } else if (key === "arp_validate" && value === null) {
      // iproute2 6.1 prints null for arp_validate 0 ("none").
      out[key] = "none";
    } else {
      const s = stringOf(value);
      if (s !== undefined) out[key] = s;
    }
  }
  return out as BondOptions;
}

export function bondMode(data: Record<string, unknown>): BondMode | undefined {
  const mode = stringOf(data.mode);
  if (mode && (BOND_MODES as readonly string[]).includes(mode)) return mode as BondMode;
  const n = numberOf(data.mode);
  return n === undefined ? undefined : BOND_MODES[n];
}

/** @param ports the links whose master is this bond */
export function bondSection(link: IpLink, ports: readonly IpLink[]): LinkAggregation {
  const data = link.linkinfo?.info_data ?? {};
  const sorted = [...ports].sort(byName);
  const out: LinkAggregation = {};
  const mode = bondMode(data);
  if (mode) out.mode = mode;
  out.port = sorted.map((p) => p.ifname);
  out.options = bondOptions(data);
  out["ports-config"] = sorted.map((p) => {
    const slave = p.linkinfo?.info_slave_data ?? {};
    const config: NonNullable<LinkAggregation["ports-config"]>[number] = { name: p.ifname };
    const queue = numberOf(slave.queue_id);
    if (queue !== undefined) config["queue-id"] = queue;
    const prio = numberOf(slave.prio);
    if (prio !== undefined) config.priority = prio;
    return config;
  });
  return out;
}

/** Equivalent to: `ip link add NAME type bond mode MODE`. */
export const bondKind: KernelKind<"bond"> = {
  type: "bond",
  infoKind: "bond",
  module: "bonding",
  add: (name, create) => ["link", "add", name, "type", "bond", "mode", create.mode],
  read: (link, ports) => ({ "link-aggregation": bondSection(link, ports) }),
};
