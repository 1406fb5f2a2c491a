/**
 * veth peers and lower links. iproute2 prints `link: NAME` when the peer
 * (or a VLAN's/MACVLAN's base) is in the same namespace, and `link_index` +
 * `link_netnsid` when it is in another one. A veth whose peer is elsewhere is
 * this namespace's NIC as far as policies are concerned: it is reported as
 * `type: ethernet` (see link.ts).
 */
import type { IpLink } from "../read/ipjson.ts";
import type { Veth } from "../../../state/schema/index.ts";
import type { KernelKind } from "./kind.ts";

/** The name of the lower/peer link when it lives in the same namespace. */
export function lowerName(link: IpLink): string | undefined {
  if (link.link_netnsid !== undefined) return undefined;
  return typeof link.link === "string" && link.link !== "" ? link.link : undefined;
}

export const vethPeerIsLocal = (link: IpLink) => lowerName(link) !== undefined;

export function vethSection(link: IpLink): Veth {
  const peer = lowerName(link);
  return peer ? { peer } : {};
}

/** Equivalent to: `ip link add NAME type veth peer name PEER`. */
export const vethKind: KernelKind<"veth"> = {
  type: "veth",
  infoKind: "veth",
  module: "veth",
  add: (name, c) => ["link", "add", name, "type", "veth", "peer", "name", c.peer],
  read: (link) => ({ veth: vethSection(link) }),
};
