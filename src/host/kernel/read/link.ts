/**
 * Interfaces from `ip -json -details addr show` entries: the type mapping,
 * the fields every interface has, and the type-specific sections (read by
 * each kind's module, src/host/kernel/kinds/). Keys are set in the schema's order (InterfaceSchema)
 * so that printed output reads like nmstate's.
 */
import type { BridgeVlanEntry, IpLink } from "./ipjson.ts";
import type { Interface, InterfaceType } from "../../../state/schema/index.ts";
import { ipv4Section, ipv6Section } from "./address.ts";
import { kernelKind, kernelKindOfLink } from "../kinds/index.ts";
import { vethPeerIsLocal } from "../kinds/veth.ts";
import { macOf } from "./values.ts";

// ARPHRD_ETHER and ARPHRD_LOOPBACK, by name and as `ip -N` prints them.
const isEther = (link: IpLink) => link.link_type === "ether" || link.link_type === "[1]";
const isLoopback = (link: IpLink) => link.link_type === "loopback" || link.link_type === "[772]";

export function interfaceType(link: IpLink): InterfaceType {
  const kind = link.linkinfo?.info_kind;
  if (kind === undefined) {
    if (isLoopback(link)) return "loopback";
    return isEther(link) ? "ethernet" : "unknown";
  }
  if (kind === "veth") return vethPeerIsLocal(link) ? "veth" : "ethernet";
  return kernelKindOfLink(kind)?.type ?? "unknown";
}

/** Everything the reader knows besides the link itself. */
export interface LinkContext {
  /** Links enslaved to each controller, by controller name. */
  portsOf: ReadonlyMap<string, IpLink[]>;
  /** Per-interface sysctls (sysctl.ts), by interface name. */
  sysctls: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** `bridge vlan show` entries by port name (read only when some bridge filters VLANs). */
  bridgeVlans?: ReadonlyMap<string, BridgeVlanEntry[]>;
}

export function interfaceOf(link: IpLink, context: LinkContext): Interface {
  const type = interfaceType(link);
  const flags = link.flags ?? [];
  const iface: Interface = {
    name: link.ifname,
    type,
    state: type === "unknown" ? "ignore" : flags.includes("UP") ? "up" : "down",
  };
  if (link.ifalias) iface.description = link.ifalias;
  if (link.mtu !== undefined) iface.mtu = link.mtu;
  if (link.min_mtu !== undefined) iface["min-mtu"] = link.min_mtu;
  if (link.max_mtu !== undefined) iface["max-mtu"] = link.max_mtu;
  const mac = macOf(link.address);
  if (mac) iface["mac-address"] = mac;
  const permanent = macOf(link.permaddr);
  if (permanent) iface["permanent-mac-address"] = permanent;
  if (link.master) iface.controller = link.master;
  // The PROMISC flag is what was asked for; `promiscuity` also counts the
  // bridge's own reference on every port.
  iface["accept-all-mac-addresses"] = flags.includes("PROMISC");
  const sysctl = context.sysctls.get(link.ifname);
  iface.ipv4 = ipv4Section(link, sysctl);
  iface.ipv6 = ipv6Section(link, sysctl);
  const ports = context.portsOf.get(link.ifname) ?? [];
  const kind = type === "ethernet" ? undefined : kernelKind(type);
  if (kind?.read) Object.assign(iface, kind.read(link, ports, context));
  return iface;
}
