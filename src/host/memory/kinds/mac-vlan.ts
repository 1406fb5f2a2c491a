/** MAC-VLANs: not on a bridge or bond port ("Device or resource busy"); they start with their base's MTU. */
import type { MacVlan } from "../../../state/schema/links.ts";
import { getLink, kernelErrors, newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const macVlanMemory: MemoryKind<"mac-vlan"> = {
  type: "mac-vlan",
  add(host, name, create) {
    const base = getLink(host, create.base);
    if (base.master && host.links.get(base.master)?.type !== "vrf") throw kernelErrors.busy();
    host.links.set(name, newLink(host, name, "mac-vlan", { mtu: base.mtu, macvlan: { "base-iface": base.name, mode: create.mode as MacVlan["mode"], promiscuous: create.promiscuous !== false } }));
  },
  load(link, iface) {
    if (iface["mac-vlan"]) link.macvlan = { mode: "vepa", promiscuous: true, ...structuredClone(iface["mac-vlan"]) };
  },
  render: (_host, link) => (link.macvlan ? { "mac-vlan": structuredClone(link.macvlan) } : {}),
};
