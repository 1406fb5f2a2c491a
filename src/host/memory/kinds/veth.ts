/** veth pairs: both ends made at once (deleting either deletes both: see links.ts). */
import { kernelErrors, newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const vethMemory: MemoryKind<"veth"> = {
  type: "veth",
  add(host, name, create) {
    if (host.links.has(create.peer)) throw kernelErrors.exists();
    host.links.set(name, newLink(host, name, "veth", { peer: create.peer }));
    host.links.set(create.peer, newLink(host, create.peer, "veth", { peer: name }));
  },
  load(link, iface) {
    if (iface.veth?.peer) link.peer = iface.veth.peer;
  },
  render: (_host, link) => (link.peer ? { veth: { peer: link.peer } } : {}),
};
