/**
 * `linux-bridge` sections from `ip -d` bridge `info_data`, the ports'
 * `info_slave_data` and `bridge -json vlan show`.
 *
 * Units: the kernel reports STP timers and the ageing time in centiseconds
 * (USER_HZ clock ticks: forward_delay 1500 = 15 s); nmstate reports those in
 * seconds. The multicast intervals stay in centiseconds, as nmstate reports
 * them. The kernel keeps timers in jiffies, so a value may come back off by
 * one centisecond from what was set (3125 → 3124 at HZ=250); seconds are
 * rounded rather than truncated so that 1499 still reads as 15.
 */
import type { BridgeVlanEntry, IpLink } from "../read/ipjson.ts";
import type { Bridge, BridgeOptions, BridgePort, BridgePortVlan } from "../../../state/schema/index.ts";
import { byName, numberOf, stringOf, vlanProtocolOf } from "../read/values.ts";
import { portVlanOf } from "../../../state/plan/bridge.ts";
import type { VlanEntry } from "../../../state/plan/operations.ts";
import type { KernelKind } from "./kind.ts";

const seconds = (centiseconds: number | undefined) => (centiseconds === undefined ? undefined : Math.round(centiseconds / 100));

const MULTICAST_ROUTER: Record<number, NonNullable<BridgeOptions["multicast-router"]>> = { 0: "disabled", 1: "auto", 2: "enabled" };

/** Sets `key` only when `value` is defined, so absent kernel attributes stay absent. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

export function bridgeOptions(data: Record<string, unknown>): BridgeOptions {
  const bool = (key: string) => {
    const v = numberOf(data[key]);
    return v === undefined ? undefined : v !== 0;
  };
  const num = (key: string) => numberOf(data[key]);
  const options: BridgeOptions = {};
  const stpState = num("stp_state");
  const stp: NonNullable<BridgeOptions["stp"]> = {};
  put(stp, "enabled", stpState === undefined ? undefined : stpState !== 0);
  put(stp, "forward-delay", seconds(num("forward_delay")));
  put(stp, "hello-time", seconds(num("hello_time")));
  put(stp, "max-age", seconds(num("max_age")));
  put(stp, "priority", num("priority"));
  options.stp = stp;
  put(options, "mac-ageing-time", seconds(num("ageing_time")));
  put(options, "group-forward-mask", num("group_fwd_mask"));
  put(options, "group-addr", stringOf(data.group_addr)?.toUpperCase());
  put(options, "hash-max", num("mcast_hash_max"));
  put(options, "multicast-snooping", bool("mcast_snooping"));
  put(options, "multicast-router", MULTICAST_ROUTER[num("mcast_router") ?? -1]);
  put(options, "multicast-querier", bool("mcast_querier"));
  put(options, "multicast-query-use-ifaddr", bool("mcast_query_use_ifaddr"));
  put(options, "multicast-last-member-count", num("mcast_last_member_cnt"));
  put(options, "multicast-last-member-interval", num("mcast_last_member_intvl"));
  put(options, "multicast-membership-interval", num("mcast_membership_intvl"));
  put(options, "multicast-querier-interval", num("mcast_querier_intvl"));
  put(options, "multicast-query-interval", num("mcast_query_intvl"));
  put(options, "multicast-query-response-interval", num("mcast_query_response_intvl"));
  put(options, "multicast-startup-query-count", num("mcast_startup_query_cnt"));
  put(options, "multicast-startup-query-interval", num("mcast_startup_query_intvl"));
  put(options, "vlan-protocol", vlanProtocolOf(data.vlan_protocol));
  put(options, "vlan-default-pvid", num("vlan_default_pvid"));
  return options;
}

/** Joins consecutive VLAN ids with the same flags into ranges (iproute2 6.1 prints one entry per id). */
export function vlanRanges(entries: readonly BridgeVlanEntry[]): VlanEntry[] {
  const ranges: VlanEntry[] = [];
  const sorted = [...entries].sort((a, b) => a.vlan - b.vlan);
  for (const entry of sorted) {
    const flags = entry.flags ?? [];
    const pvid = flags.includes("PVID");
    const untagged = flags.includes("Egress Untagged");
    const max = entry.vlanEnd ?? entry.vlan;
    const last = ranges.at(-1);
    if (last && !pvid && !last.pvid && last.untagged === untagged && last.max + 1 === entry.vlan) last.max = max;
    else ranges.push({ min: entry.vlan, max, pvid, untagged });
  }
  return ranges;
}

/** A port's VLAN configuration in nmstate's form; undefined for a port with only the default VLAN 1. */
export function portVlan(entries: readonly BridgeVlanEntry[]): BridgePortVlan | undefined {
  return portVlanOf(vlanRanges(entries));
}

export function bridgePort(port: IpLink, vlans: readonly BridgeVlanEntry[] | undefined): BridgePort {
  const data = port.linkinfo?.info_slave_data ?? {};
  const out: BridgePort = { name: port.ifname };
  if (typeof data.hairpin === "boolean") out["stp-hairpin-mode"] = data.hairpin;
  put(out, "stp-path-cost", numberOf(data.cost));
  put(out, "stp-priority", numberOf(data.priority));
  if (vlans) {
    const vlan = portVlan(vlans);
    if (vlan) out.vlan = vlan;
  }
  return out;
}

/** True when the bridge filters by VLAN, i.e. when port VLANs are worth reading. */
export const vlanFiltering = (link: IpLink) => numberOf(link.linkinfo?.info_data?.vlan_filtering) === 1;

/**
 * @param ports the links whose master is this bridge
 * @param vlans `bridge vlan show` entries by port name; only consulted when the bridge filters VLANs
 */
export function bridgeSection(link: IpLink, ports: readonly IpLink[], vlans: ReadonlyMap<string, BridgeVlanEntry[]> | undefined): Bridge {
  const filtering = vlanFiltering(link);
  return {
    options: bridgeOptions(link.linkinfo?.info_data ?? {}),
    port: [...ports].sort(byName).map((p) => bridgePort(p, filtering ? (vlans?.get(p.ifname) ?? []) : undefined)),
  };
}

/** Equivalent to: `ip link add NAME type bridge` (options follow as `bridge-options`). */
export const linuxBridgeKind: KernelKind<"linux-bridge"> = {
  type: "linux-bridge",
  infoKind: "bridge",
  module: "bridge",
  add: (name) => ["link", "add", name, "type", "bridge"],
  read: (link, ports, context) => ({ bridge: bridgeSection(link, ports, context.bridgeVlans) }),
};
