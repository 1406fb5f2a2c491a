/** `vlan` sections from `ip -d` vlan `info_data` (`{protocol: "802.1Q", id, flags: ["REORDER_HDR", …]}`; with -N the protocol is the ethertype, "[33024]"). */
import type { IpLink } from "./ipjson.ts";
import type { Vlan } from "../../../state/schema/index.ts";
import { lowerName } from "./veth.ts";
import { numberOf, vlanProtocolOf } from "./values.ts";

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
