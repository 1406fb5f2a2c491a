/**
 * The in-memory host: links, addresses, routes, rules, resolver and DHCP
 * state, kept close to how the kernel holds them (kernel option names for
 * bridges, a VLAN table per bridge port, addresses in kernel order, routes
 * with their table and metric explicit). `render.ts` turns it into the
 * nmstate form `read()` reports; the operation handlers change it.
 */
import type { BondMode, BondOptions } from "../../state/schema/bond.ts";
import type { DnsConfig } from "../../state/schema/dns.ts";
import type { Interface, InterfaceType } from "../../state/schema/interface.ts";
import type { MacVlan, Vlan, Vxlan } from "../../state/schema/links.ts";
import type { Route, RouteRule } from "../../state/schema/routes.ts";
import type { DynamicAddressing } from "../../state/plan/operations.ts";

export type Family = "ipv4" | "ipv6";
export const FAMILIES = ["ipv4", "ipv6"] as const;

export interface MemAddress {
  /** Canonical text. */
  ip: string;
  prefix: number;
  /** Handed out by the simulated DHCP server (or SLAAC), not configured statically. */
  dynamic: boolean;
  /** IPv4 only: another address of the same subnet came first (the kernel's IFA_F_SECONDARY). */
  secondary?: boolean;
}

export interface VlanFlags {
  pvid: boolean;
  untagged: boolean;
}

export interface MemLink {
  name: string;
  type: InterfaceType;
  up: boolean;
  mtu: number;
  /** A bridge follows its ports' smallest MTU until one is set on it (the kernel's BROPT_MTU_SET_BY_USER). */
  mtuSet: boolean;
  /** A bond port's MTU before the bond took it over; restored when it leaves. */
  mtuBeforeBond?: number;
  mac: string;
  /** A MAC set with `address` stays; a bridge otherwise takes its ports' lowest (br_stp_recalculate_bridge_id). */
  macSet: boolean;
  alias: string;
  promisc: boolean;
  master?: string;
  vlan?: Vlan;
  vxlan?: Vxlan;
  macvlan?: MacVlan;
  peer?: string;
  vrfTable?: number;
  /** A stacked link's base (stacked.ts); kinds with a module keep theirs in their own field. */
  lower?: string;
  /** A stacked link's section, as read back (stacked.ts). */
  section?: Partial<Interface>;
  /** Bridge options by their kernel names (`ip link set … type bridge`). */
  bridge?: Record<string, string | number>;
  bond?: { mode: BondMode; options: BondOptions };
  /** Port settings under a bridge (priority, cost, hairpin) or a bond (queue_id, prio), by kernel name. */
  portOptions: Record<string, string | number>;
  /** A bridge port's VLAN table (kept also while the bridge does not filter, as the kernel does). */
  vlans: Map<number, VlanFlags>;
  addresses: Record<Family, MemAddress[]>;
  /** net.ipv4.conf.IFACE.forwarding */
  forwarding: boolean;
  /** net.ipv6.conf.IFACE.disable_ipv6 = 1: the kernel dropped the link's IPv6 addresses and keeps none. */
  ipv6Disabled?: boolean;
  /** net.ipv6.conf.IFACE.accept_ra (1, the kernel's default, for a new link; 2 with autoconf, 0 when switched off). */
  acceptRa: number;
}

export interface MemRoute {
  /** Normalised: canonical destination and gateway, table-id, metric and next-hop-interface explicit. */
  route: Route;
  /** `static` for routes nodenet (or the initial state) configured, `dhcp` for routes a lease brought. */
  proto: "static" | "dhcp";
}

export interface MemHost {
  links: Map<string, MemLink>;
  routes: MemRoute[];
  /** Normalised, with family and priority explicit; the kernel's default rules are implied. */
  rules: RouteRule[];
  /** The static resolver configuration (`dns` operations). */
  dns?: DnsConfig;
  /** Dynamic addressing configured per interface (what `dynamic` operations recorded). */
  dynamic: Map<string, DynamicAddressing>;
  /** DNS servers learned from leases, by `iface/family`. */
  learnedDns: Map<string, string[]>;
  hostname?: string;
  /** For locally administered MACs handed to new links. */
  nextMac: number;
}

/** A failure as iproute2 prints it; the backend wraps it in an ExecuteError. */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelError";
  }
}

export const fail = (message: string): never => {
  throw new KernelError(message);
};

export const kernelErrors = {
  exists: () => new KernelError("RTNETLINK answers: File exists"),
  noDevice: (name: string) => new KernelError(`Cannot find device "${name}"`),
  noMaster: (name: string) => new KernelError(`Error: argument "${name}" is wrong: Device does not exist`),
  notSupported: () => new KernelError("RTNETLINK answers: Operation not supported"),
  busy: () => new KernelError("RTNETLINK answers: Device or resource busy"),
};

export function emptyHost(): MemHost {
  return { links: new Map(), routes: [], rules: [], dynamic: new Map(), learnedDns: new Map(), nextMac: 1 };
}

export function getLink(host: MemHost, name: string): MemLink {
  const link = host.links.get(name);
  if (!link) throw kernelErrors.noDevice(name);
  return link;
}

export function newMac(host: MemHost): string {
  const n = host.nextMac++;
  const bytes = [0x02, 0x00, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":").toUpperCase();
}

export function newLink(host: MemHost, name: string, type: InterfaceType, fields: Partial<MemLink> = {}): MemLink {
  return {
    name,
    type,
    up: false,
    mtu: 1500,
    mtuSet: false,
    mac: newMac(host),
    macSet: false,
    alias: "",
    promisc: false,
    portOptions: {},
    vlans: new Map(),
    addresses: { ipv4: [], ipv6: [] },
    forwarding: false,
    acceptRa: 1,
    ...fields,
  };
}

/** The interface a VLAN, MAC-VLAN, VXLAN or stacked link is built on. */
export function lowerOf(link: MemLink): string | undefined {
  return link.vlan?.["base-iface"] ?? link.macvlan?.["base-iface"] ?? link.vxlan?.["base-iface"] ?? link.lower;
}

export const portsOf = (host: MemHost, controller: string): MemLink[] => [...host.links.values()].filter((l) => l.master === controller);

export const isControllerLink = (link: MemLink) => link.type === "linux-bridge" || link.type === "bond" || link.type === "vrf";

export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
