/** VLANs: one per (base, id, protocol); they start with their base's MTU and MAC. */
import { getLink, kernelErrors, newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const vlanMemory: MemoryKind<"vlan"> = {
  type: "vlan",
  add(host, name, create) {
    const base = getLink(host, create.base);
    const protocol = create.protocol === "802.1ad" ? "802.1ad" : "802.1q";
    const clash = [...host.links.values()].some((l) => l.vlan?.["base-iface"] === base.name && l.vlan.id === create.id && l.vlan.protocol === protocol);
    if (clash) throw kernelErrors.exists();
    host.links.set(name, newLink(host, name, "vlan", { mtu: base.mtu, mac: base.mac, vlan: { "base-iface": base.name, id: create.id, protocol, "reorder-headers": true, "loose-binding": false } }));
  },
  load(link, iface) {
    if (iface.vlan) link.vlan = { protocol: "802.1q", "reorder-headers": true, "loose-binding": false, ...structuredClone(iface.vlan) };
  },
  render: (_host, link) => (link.vlan ? { vlan: structuredClone(link.vlan) } : {}),
};
