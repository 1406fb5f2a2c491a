/**
 * The steps of a change, as data, in the state model's own terms: create a
 * link of a kind with its settings, make a link a port of a controller, add
 * an address, turn IPv6 off — never a command line, a kernel option name or a
 * kernel unit. A backend owns the translation (src/host/kernel/commands.ts
 * for the kernel) and describes each step to users (`HostBackend.describe`).
 */
import type { BondOptions } from "../schema/bond.ts";
import type { BridgeOptions, BridgePort } from "../schema/bridge.ts";
import type { DnsConfig } from "../schema/dns.ts";
import type { Route, RouteRule } from "../schema/routes.ts";

/** What a new link is made with, by interface type (each kind's, listed in src/state/kinds/index.ts). */
export type { LinkCreate } from "../kinds/index.ts";
import type { LinkCreate } from "../kinds/index.ts";

/** A bridge port's own settings (nmstate's names). */
export type BridgePortSettings = Pick<BridgePort, "stp-priority" | "stp-path-cost" | "stp-hairpin-mode">;

/** A bond port's own settings (nmstate's `ports-config` names). */
export interface BondPortSettings {
  "queue-id"?: number;
  priority?: number;
}

/** A bridge port VLAN entry: a vid or a range, possibly the port's PVID and untagged. */
export interface VlanEntry {
  min: number;
  max: number;
  pvid?: boolean;
  untagged?: boolean;
}

export interface DynamicAddressing {
  /** DHCPv4 (`ipv4.dhcp`), or undefined for none. */
  dhcp4?: DhcpSettings;
  /** DHCPv6 (`ipv6.dhcp`). */
  dhcp6?: DhcpSettings;
  /** IPv6 SLAAC (`ipv6.autoconf`). */
  autoconf?: DhcpSettings;
}

export interface DhcpSettings {
  autoDns: boolean;
  autoGateway: boolean;
  autoRoutes: boolean;
  tableId?: number;
  metric?: number;
  clientId?: string;
}

export type Operation =
  | { op: "link-add"; name: string; create: LinkCreate }
  | { op: "link-del"; name: string }
  | { op: "link-set"; name: string; mtu?: number; mac?: string; description?: string; acceptAllMac?: boolean }
  | { op: "link-state"; name: string; up: boolean }
  /** Make `name` a port of `controller`; null detaches it. */
  | { op: "link-controller"; name: string; controller: string | null }
  /** The changed options only; `vlanFiltering` follows whether any port declares VLANs. */
  | { op: "bridge-options"; name: string; options: Omit<BridgeOptions, "allow-extra-ports">; vlanFiltering?: boolean }
  | { op: "bond-options"; name: string; options: BondOptions & { mode?: string } }
  | { op: "bridge-port-options"; name: string; options: BridgePortSettings }
  | { op: "bond-port-options"; name: string; options: BondPortSettings }
  | { op: "vlan-del"; port: string; entry: VlanEntry }
  | { op: "vlan-add"; port: string; entry: VlanEntry }
  | { op: "addr-del"; name: string; ip: string; prefix: number }
  | { op: "addr-add"; name: string; ip: string; prefix: number }
  | { op: "route-del"; route: Route }
  | { op: "route-add"; route: Route }
  /** Several routes of one destination, table and metric: one ECMP route with a nexthop each (all of the slot's members). */
  | { op: "route-multipath"; routes: Route[] }
  | { op: "rule-del"; rule: RouteRule }
  | { op: "rule-add"; rule: RouteRule }
  /** IPv4 forwarding of one interface. */
  | { op: "ipv4-forwarding"; name: string; enabled: boolean }
  /** The interface's IPv6 on or off (off drops its addresses, link-local included). */
  | { op: "ipv6-switch"; name: string; enabled: boolean }
  /** Whether the interface hears router advertisements: 0 never, 1 unless it forwards, 2 even when it forwards (nmstate's `ipv6.accept-ra`). */
  | { op: "ipv6-accept-ra"; name: string; accept: 0 | 1 | 2 }
  /** What router advertisements left on a link that stops hearing them: its SLAAC addresses or its RA routes. */
  | { op: "ra-flush"; name: string; what: "addresses" | "routes" }
  | { op: "dynamic"; name: string; settings: DynamicAddressing }
  | { op: "dns"; config: DnsConfig }
  | { op: "hostname"; name: string };
