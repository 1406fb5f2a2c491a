/** `mac-vlan` sections from `ip -d` macvlan `info_data` (`{mode, nopromisc?}`). */
import type { IpLink } from "./ipjson.ts";
import type { MacVlan } from "../../../state/schema/index.ts";
import { MAC_VLAN_MODES } from "../../../state/schema/index.ts";
import { lowerName } from "./veth.ts";
import { stringOf } from "./values.ts";

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
