/** `mac-vlan` sections from `ip -d` macvlan `info_data` (`{mode, nopromisc?}`). */
import type { IpLink } from "../read/ipjson.ts";
import type { MacVlan } from "../../../state/schema/index.ts";
import { MAC_VLAN_MODES } from "../../../state/schema/index.ts";
import { lowerName } from "./veth.ts";
import { stringOf } from "../read/values.ts";
import type { KernelKind } from "./kind.ts";

export function macVlanSection(link: IpLink): MacVlan {
  const data = link.linkinfo?.info_data ?? {};
  const out: MacVlan = {};
  const base = lowerName(link);
  if (base) out["base-iface"] = base;
  const mode = stringOf(data.mode);
  if (mode && (MAC_VLAN_MODES as readonly string[]).includes(mode)) out.mode = mode as MacVlan["mode"];
  // The kernel's MACVLAN_FLAG_NOPROMISC (passthru mode only) is the inverse of nmstate's `promiscuous`.
  out.promiscuous = data.nopromisc !== true;
  return out;
}

/** Equivalent to: `ip link add link BASE name NAME type macvlan mode MODE [nopromisc]`. */
export const macVlanKind: KernelKind<"mac-vlan"> = {
  type: "mac-vlan",
  infoKind: "macvlan",
  module: "macvlan",
  add: (name, c) => ["link", "add", "link", c.base, "name", name, "type", "macvlan", "mode", c.mode, ...(c.promiscuous === false ? ["nopromisc"] : [])],
  read: (link) => ({ "mac-vlan": macVlanSection(link) }),
};
