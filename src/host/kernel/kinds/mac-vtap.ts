/** `macvtap` links: the same `ip -d` info_data as macvlan (`{mode, nopromisc?}`). */
import type { KernelKind } from "./kind.ts";
import { macVlanSection } from "./mac-vlan.ts";

/** Equivalent to: `ip link add link BASE name NAME type macvtap mode MODE [nopromisc]`. */
export const macVtapKind: KernelKind<"mac-vtap"> = {
  type: "mac-vtap",
  infoKind: "macvtap",
  module: "macvtap",
  add: (name, c) => ["link", "add", "link", c.base, "name", name, "type", "macvtap", "mode", c.mode, ...(c.promiscuous === false ? ["nopromisc"] : [])],
  read: (link) => ({ "mac-vtap": macVlanSection(link) }),
};
