/** VRFs: a table, ports, and the kernel's large default MTU. */
import { newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const vrfMemory: MemoryKind<"vrf"> = {
  type: "vrf",
  add: (host, name, create) => void host.links.set(name, newLink(host, name, "vrf", { mtu: 65575, vrfTable: create.tableId })),
  load(link, iface) {
    link.vrfTable = iface.vrf?.["route-table-id"];
  },
  render: (_host, link, ports) => ({ vrf: { port: ports.map((p) => p.name), ...(link.vrfTable !== undefined ? { "route-table-id": link.vrfTable } : {}) } }),
};
