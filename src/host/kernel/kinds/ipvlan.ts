/**
 * `ipvlan` links: `ip -d` info_data `{mode: "l2"|"l3"|"l3s", private?: true, vepa?: true}`
 * (neither flag: bridged). The kernel keeps mode and flags per base, for all
 * the IPVLANs on it.
 */
import { IPVLAN_MODES, type Ipvlan } from "../../../state/kinds/ipvlan.ts";
import type { IpLink } from "../read/ipjson.ts";
import { stringOf } from "../read/values.ts";
import type { KernelKind } from "./kind.ts";
import { lowerName } from "./veth.ts";

export function ipvlanSection(link: IpLink): Ipvlan {
  const data = link.linkinfo?.info_data ?? {};
  const out: Ipvlan = {};
  const base = lowerName(link);
  if (base) out["base-iface"] = base;
  const mode = stringOf(data.mode);
  if (mode && (IPVLAN_MODES as readonly string[]).includes(mode)) out.mode = mode as Ipvlan["mode"];
  out.private = data.private === true;
  out.vepa = data.vepa === true;
  return out;
}

/** Equivalent to: `ip link add link BASE name NAME type ipvlan mode l2|l3|l3s bridge|private|vepa`. */
export const ipvlanKind: KernelKind<"ipvlan"> = {
  type: "ipvlan",
  infoKind: "ipvlan",
  module: "ipvlan",
  add: (name, c) => ["link", "add", "link", c.base, "name", name, "type", "ipvlan", "mode", c.mode, c.isolation],
  read: (link) => ({ ipvlan: ipvlanSection(link) }),
};
