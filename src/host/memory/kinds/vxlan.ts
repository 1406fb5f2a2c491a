/** VXLANs: sized to the lower link's MTU minus the encapsulation. */
import { getLink, newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const vxlanMemory: MemoryKind<"vxlan"> = {
  type: "vxlan",
  add(host, name, create) {
    // The kernel sizes a vxlan to its lower link's MTU minus the encapsulation (50 bytes over IPv4, 70 over IPv6).
    const lower = create.base ? getLink(host, create.base) : undefined;
    const mtu = (lower?.mtu ?? 1500) - (create.remote?.includes(":") ? 70 : 50);
    const vxlan = {
      id: create.id,
      ...(create.base ? { "base-iface": create.base } : {}),
      ...(create.remote ? { remote: create.remote } : {}),
      ...(create.local ? { local: create.local } : {}),
      "destination-port": create.destinationPort,
      learning: create.learning !== false,
    };
    host.links.set(name, newLink(host, name, "vxlan", { mtu, vxlan }));
  },
  load(link, iface) {
    if (iface.vxlan) link.vxlan = { "destination-port": 4789, learning: true, ...structuredClone(iface.vxlan) };
  },
  render: (_host, link) => (link.vxlan ? { vxlan: structuredClone(link.vxlan) } : {}),
};
