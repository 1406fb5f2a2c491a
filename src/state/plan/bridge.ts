/**
 * Linux bridge options between nmstate's names/units and the kernel's
 * (`ip link set BR type bridge …`). The kernel keeps STP timers and the ageing
 * time in centiseconds; nmstate speaks seconds.
 */
import type { BridgeOptions, BridgePort, BridgePortVlan, TrunkTag } from "../schema/bridge.ts";
import type { VlanEntry } from "./operations.ts";

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

export function kernelBridgePortOptions(port: BridgePort): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (port["stp-priority"] !== undefined) out.priority = port["stp-priority"];
  if (port["stp-path-cost"] !== undefined) out.cost = port["stp-path-cost"];
  if (port["stp-hairpin-mode"] !== undefined) out.hairpin = port["stp-hairpin-mode"] ? "on" : "off";
  return out;
}

/** The kernel's default for a port once VLAN filtering is on: VLAN 1, PVID, untagged. */
export const DEFAULT_PORT_VLAN: BridgePortVlan = { mode: "access", tag: 1 };

/** Per-VLAN view of a port's VLAN config: vid → {pvid, untagged}. */
export function vlanTable(vlan: BridgePortVlan | undefined): Map<number, { pvid: boolean; untagged: boolean }> {
  const table = new Map<number, { pvid: boolean; untagged: boolean }>();
  if (!vlan) return table;
  if (vlan.mode === "access" || (vlan.mode === undefined && !vlan["trunk-tags"])) {
    if (vlan.tag !== undefined) table.set(vlan.tag, { pvid: true, untagged: true });
    return table;
  }
  for (const tag of vlan["trunk-tags"] ?? []) {
    const [min, max] = "id" in tag ? [tag.id, tag.id] : [tag["id-range"].min, tag["id-range"].max];
    for (let vid = min; vid <= max; vid++) table.set(vid, { pvid: false, untagged: false });
  }
  if (vlan["enable-native"] && vlan.tag !== undefined) table.set(vlan.tag, { pvid: true, untagged: true });
  return table;
}

/** Compresses a vid table into `bridge vlan` entries (ranges of equal flags). */
export function vlanEntries(table: Map<number, { pvid: boolean; untagged: boolean }>): VlanEntry[] {
  const vids = [...table.keys()].sort((a, b) => a - b);
  const entries: VlanEntry[] = [];
  for (const vid of vids) {
    const flags = table.get(vid)!;
    const last = entries.at(-1);
    // The kernel refuses a PVID on a range, so a PVID entry always stands alone.
    if (last && !flags.pvid && !last.pvid && last.max === vid - 1 && Boolean(last.untagged) === flags.untagged) {
      last.max = vid;
      continue;
    }
    entries.push({ min: vid, max: vid, ...(flags.pvid ? { pvid: true } : {}), ...(flags.untagged ? { untagged: true } : {}) });
  }
  return entries;
}

/**
 * A port's VLAN entries (ranges of equal flags, as `vlanEntries` makes them or
 * `bridge vlan show` lists them) in nmstate's form — how nmstate derives it: a
 * single PVID+untagged VLAN is an access port; otherwise a trunk whose
 * PVID+untagged VLAN is the native `tag`. VLAN 1 (the kernel's default PVID)
 * is not reported; undefined for a port with only the default.
 */
export function portVlanOf(entries: readonly VlanEntry[]): BridgePortVlan | undefined {
  const access = entries.length === 1 && entries[0]!.pvid && entries[0]!.untagged;
  let tag: number | undefined;
  let native = false;
  const trunkTags: TrunkTag[] = [];
  for (const r of entries) {
    if (r.min === 1 && r.max === 1) continue;
    if (access) tag = r.min;
    else if (r.pvid && r.untagged) {
      tag = r.max;
      native = true;
    } else if (r.min === r.max) trunkTags.push({ id: r.min });
    else trunkTags.push({ "id-range": { min: r.min, max: r.max } });
  }
  if (trunkTags.length === 0) return tag === undefined ? undefined : { mode: "access", tag, "trunk-tags": [] };
  return { mode: "trunk", ...(tag !== undefined ? { tag } : {}), "enable-native": native, "trunk-tags": trunkTags };
}

/**
 * The kernel keeps multicast intervals in jiffies, so a value in centiseconds
 * comes back rounded (3125 reads 3124 at HZ=250): one centisecond is "equal".
 */
export function bridgeOptionEqual(key: string, want: unknown, have: unknown): boolean {
  if (want === have) return true;
  return /^mcast_.*interval$|^multicast-.*-interval$/.test(key) && typeof want === "number" && typeof have === "number" && Math.abs(want - have) <= 1;
}
