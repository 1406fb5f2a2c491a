/**
 * Linux bridge options between nmstate's names and units and the kernel's
 * (`ip link set BR type bridge …`, `type bridge_slave …`). The kernel keeps
 * STP timers and the ageing time in centiseconds; nmstate speaks seconds.
 * The memory backend keeps its bridges in these kernel terms too.
 */
import type { BridgeOptions } from "../../state/schema/bridge.ts";
import type { BridgePortSettings } from "../../state/plan/operations.ts";

const MCAST_ROUTER = { disabled: 0, auto: 1, enabled: 2 } as const;
const bit = (v: boolean | undefined) => (v ? 1 : 0);

/** Multicast counters and intervals: nmstate name → kernel name, same unit (centiseconds for intervals). */
export const MULTICAST_COUNTERS = [
  ["multicast-last-member-count", "mcast_last_member_count"],
  ["multicast-last-member-interval", "mcast_last_member_interval"],
  ["multicast-membership-interval", "mcast_membership_interval"],
  ["multicast-querier-interval", "mcast_querier_interval"],
  ["multicast-query-interval", "mcast_query_interval"],
  ["multicast-query-response-interval", "mcast_query_response_interval"],
  ["multicast-startup-query-count", "mcast_startup_query_count"],
  ["multicast-startup-query-interval", "mcast_startup_query_interval"],
] as const;

/** Kernel options for the nmstate options that are set (undefined ones are left alone). */
export function kernelBridgeOptions(options: BridgeOptions | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (!options) return out;
  const stp = options.stp;
  if (stp?.enabled !== undefined) out.stp_state = bit(stp.enabled);
  if (stp?.["forward-delay"] !== undefined) out.forward_delay = stp["forward-delay"] * 100;
  if (stp?.["hello-time"] !== undefined) out.hello_time = stp["hello-time"] * 100;
  if (stp?.["max-age"] !== undefined) out.max_age = stp["max-age"] * 100;
  if (stp?.priority !== undefined) out.priority = stp.priority;
  if (options["mac-ageing-time"] !== undefined) out.ageing_time = options["mac-ageing-time"] * 100;
  if (options["group-forward-mask"] !== undefined) out.group_fwd_mask = options["group-forward-mask"];
  if (options["group-addr"] !== undefined) out.group_address = options["group-addr"];
  if (options["hash-max"] !== undefined) out.mcast_hash_max = options["hash-max"];
  if (options["multicast-snooping"] !== undefined) out.mcast_snooping = bit(options["multicast-snooping"]);
  if (options["multicast-router"] !== undefined) out.mcast_router = MCAST_ROUTER[options["multicast-router"]];
  if (options["multicast-querier"] !== undefined) out.mcast_querier = bit(options["multicast-querier"]);
  if (options["multicast-query-use-ifaddr"] !== undefined) out.mcast_query_use_ifaddr = bit(options["multicast-query-use-ifaddr"]);
  for (const [ours, kernel] of MULTICAST_COUNTERS) if (options[ours] !== undefined) out[kernel] = options[ours];
  if (options["vlan-protocol"] !== undefined) out.vlan_protocol = options["vlan-protocol"];
  if (options["vlan-default-pvid"] !== undefined) out.vlan_default_pvid = options["vlan-default-pvid"];
  return out;
}

export function kernelBridgePortOptions(port: BridgePortSettings): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (port["stp-priority"] !== undefined) out.priority = port["stp-priority"];
  if (port["stp-path-cost"] !== undefined) out.cost = port["stp-path-cost"];
  if (port["stp-hairpin-mode"] !== undefined) out.hairpin = port["stp-hairpin-mode"] ? "on" : "off";
  return out;
}
