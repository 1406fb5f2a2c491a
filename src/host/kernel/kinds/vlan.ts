/** `vlan` sections from `ip -d` vlan `info_data` (`{protocol: "802.1Q", id, flags: ["REORDER_HDR", …]}`; with -N the protocol is the ethertype, "[33024]"). */
import type { IpLink } from "../read/ipjson.ts";
import type { Vlan } from "../../../state/schema/index.ts";
import { lowerName } from "./veth.ts";
import { numberOf, vlanProtocolOf } from "../read/values.ts";
import type { KernelKind } from "./kind.ts";

export function vlanSection(link: IpLink): Vlan {
  const data = link.linkinfo?.info_data ?? {};
  const out: Vlan = {};
  const base = lowerName(link);
  if (base) out["base-iface"] = base;
  const id = numberOf(data.id);
  if (id !== undefined) out.id = id;
  const protocol = vlanProtocolOf(data.protocol);
  if (protocol) out.protocol = protocol;
  const flags = Array.isArray(data.flags) ? (data.flags as unknown[]) : [];
  out["reorder-headers"] = flags.includes("REORDER_HDR");
  out["loose-binding"] = flags.includes("LOOSE_BINDING");
  return out;
}

/** Equivalent to: `ip link add link BASE name NAME type vlan id ID [protocol 802.1ad]`. */
export const vlanKind: KernelKind<"vlan"> = {
  type: "vlan",
  infoKind: "vlan",
  module: "8021q",
  add: (name, c) => ["link", "add", "link", c.base, "name", name, "type", "vlan", "id", String(c.id), ...(c.protocol ? ["protocol", c.protocol] : [])],
  read: (link) => ({ vlan: vlanSection(link) }),
};
