/**
 * Interfaces from `ip -json -details addr show` entries: the type mapping,
 * the fields every interface has, and the type-specific sections (delegated
 * to one file per type). Keys are set in the schema's order (InterfaceSchema)
 * so that printed output reads like nmstate's.
 */
import type { BridgeVlanEntry, IpLink } from "./ipjson.ts";
import type { Interface, InterfaceType } from "../../../state/schema/index.ts";
import { ipv4Section, ipv6Section } from "./address.ts";
import { bondSection } from "./bond.ts";
import { bridgeSection } from "./bridge.ts";
import { macVlanSection } from "./macvlan.ts";
import { macOf } from "./values.ts";
import { vethPeerIsLocal, vethSection } from "./veth.ts";
import { vlanSection } from "./vlan.ts";
import { vrfSection } from "./vrf.ts";
import { vxlanSection } from "./vxlan.ts";

/** Kernel link kinds nodenet models, by `linkinfo.info_kind`. */
const KINDS: Record<string, InterfaceType> = {
  bridge: "linux-bridge",
  bond: "bond",
  vlan: "vlan",
  vxlan: "vxlan",
  macvlan: "mac-vlan",
  dummy: "dummy",
  vrf: "vrf",
};

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
  return KINDS[kind] ?? "unknown";
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
  switch (type) {
    case "linux-bridge":
      iface.bridge = bridgeSection(link, ports, context.bridgeVlans);
      break;
    case "bond":
      iface["link-aggregation"] = bondSection(link, ports);
      break;
    case "vlan":
      iface.vlan = vlanSection(link);
      break;
    case "vxlan":
      iface.vxlan = vxlanSection(link);
      break;
    case "mac-vlan":
      iface["mac-vlan"] = macVlanSection(link);
      break;
    case "veth":
      iface.veth = vethSection(link);
      break;
    case "vrf":
      iface.vrf = vrfSection(link, ports);
      break;
    default:
      break;
  }
  return iface;
}
