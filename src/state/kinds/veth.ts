/** A veth pair: made as one with its peer, and gone with it. */
import { invalid } from "../issues.ts";
import type { InterfaceKind } from "./kind.ts";

export const veth: InterfaceKind = {
  type: "veth",
  section: "veth",
  create: (t) => ({ kind: "veth", peer: t.veth!.peer! }),
  validate({ ctx, path, iface, creating }) {
    const peer = iface.veth?.peer;
    if (creating && !peer) ctx.report(invalid([...path, "veth", "peer"], "a new veth needs the name of its peer"));
    if (creating && peer && ctx.currentByName.has(peer) && ctx.target(peer) !== undefined) {
      ctx.report(invalid([...path, "veth", "peer"], `${peer} already exists on this host; a new veth's peer needs a free name`, "pick another peer name, or remove the existing interface first"));
    }
  },
};
