/**
 * Bridges as the kernel keeps them: options by kernel name with the kernel's
 * defaults (STP timers and ageing time in centiseconds), and a VLAN table per
 * port. Rendering turns both back into nmstate's form, as the kernel reader
 * does (seconds for timers; a port's table as access/trunk; VLAN 1, the
 * default PVID, left out).
 */
import type { BridgeOptions, BridgePort, BridgePortVlan } from "../../state/schema/bridge.ts";
import type { VlanEntry } from "../../state/plan/operations.ts";
import { portVlanOf, vlanEntries } from "../../state/plan/bridge.ts";
import { MULTICAST_COUNTERS } from "../kernel/bridge-options.ts";
import type { VlanFlags } from "./model.ts";

/** What `ip link add BR type bridge` starts with. */
export const BRIDGE_DEFAULTS: Readonly<Record<string, string | number>> = {
  stp_state: 0,
  forward_delay: 1500,
  hello_time: 200,
  max_age: 2000,
  priority: 32768,
  ageing_time: 30000,
  group_fwd_mask: 0,
  group_address: "01:80:C2:00:00:00",
  mcast_hash_max: 4096,
  mcast_snooping: 1,
  mcast_router: 1,
  mcast_querier: 0,
  mcast_query_use_ifaddr: 0,
  mcast_last_member_count: 2,
  mcast_last_member_interval: 100,
  mcast_membership_interval: 26000,
  mcast_querier_interval: 25500,
  mcast_query_interval: 12500,
  mcast_query_response_interval: 1000,
  mcast_startup_query_count: 2,
  mcast_startup_query_interval: 3125,
  vlan_protocol: "802.1q",
  vlan_default_pvid: 1,
  vlan_filtering: 0,
};

/** A new port's settings (`bridge_slave` priority, cost, hairpin). */
export const BRIDGE_PORT_DEFAULTS: Readonly<Record<string, string | number>> = { priority: 32, cost: 100, hairpin: "off" };

/** Kernel values as `ip link set` takes them, stored the way the kernel would print them back. */
export function normaliseBridgeOption(key: string, value: string | number): string | number {
  if (key === "group_address" && typeof value === "string") return value.toUpperCase();
  if (key === "vlan_protocol" && typeof value === "string") return value.toLowerCase();
  return value;
}

const num = (v: string | number | undefined) => (typeof v === "number" ? v : Number(v));
const seconds = (v: string | number | undefined) => Math.round(num(v) / 100);
const MCAST_ROUTER = ["disabled", "auto", "enabled"] as const;

export function renderBridgeOptions(o: Readonly<Record<string, string | number>>): BridgeOptions {
  const out: BridgeOptions = {
    stp: {
      enabled: num(o.stp_state) !== 0,
      "forward-delay": seconds(o.forward_delay),
      "hello-time": seconds(o.hello_time),
      "max-age": seconds(o.max_age),
      priority: num(o.priority),
    },
    "mac-ageing-time": seconds(o.ageing_time),
    "group-forward-mask": num(o.group_fwd_mask),
    "group-addr": String(o.group_address),
    "hash-max": num(o.mcast_hash_max),
    "multicast-snooping": num(o.mcast_snooping) !== 0,
    "multicast-router": MCAST_ROUTER[num(o.mcast_router)] ?? "auto",
    "multicast-querier": num(o.mcast_querier) !== 0,
    "multicast-query-use-ifaddr": num(o.mcast_query_use_ifaddr) !== 0,
  };
  for (const [ours, kernel] of MULTICAST_COUNTERS) out[ours] = num(o[kernel]);
  const protocol = String(o.vlan_protocol);
  if (protocol === "802.1q" || protocol === "802.1ad") out["vlan-protocol"] = protocol;
  out["vlan-default-pvid"] = num(o.vlan_default_pvid);
  return out;
}

export function renderBridgePort(name: string, options: Readonly<Record<string, string | number>>, vlans: ReadonlyMap<number, VlanFlags> | undefined): BridgePort {
  const port: BridgePort = {
    name,
    "stp-hairpin-mode": options.hairpin === "on" || options.hairpin === 1,
    "stp-path-cost": num(options.cost),
    "stp-priority": num(options.priority),
  };
  if (vlans) {
    const vlan = portVlan(vlans);
    if (vlan) port.vlan = vlan;
  }
  return port;
}

/** The nmstate form of a port's VLAN table; undefined when it holds only the default VLAN 1. */
export function portVlan(table: ReadonlyMap<number, VlanFlags>): BridgePortVlan | undefined {
  return portVlanOf(vlanEntries(new Map(table)));
}

/** `bridge vlan add`: flags per vid; a PVID moves (a port has one). */
export function addVlans(table: Map<number, VlanFlags>, entry: VlanEntry): void {
  if (entry.pvid) for (const flags of table.values()) flags.pvid = false;
  for (let vid = entry.min; vid <= entry.max; vid++) table.set(vid, { pvid: Boolean(entry.pvid), untagged: Boolean(entry.untagged) });
}

/** The table a port gets when it joins a bridge: the default PVID, untagged (none when vlan_default_pvid is 0). */
export function defaultVlans(bridgeOptions: Readonly<Record<string, string | number>> | undefined): Map<number, VlanFlags> {
  const pvid = num(bridgeOptions?.vlan_default_pvid ?? 1);
  return pvid ? new Map([[pvid, { pvid: true, untagged: true }]]) : new Map();
}
