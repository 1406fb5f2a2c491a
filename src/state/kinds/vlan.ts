/** An 802.1Q (or 802.1ad) VLAN on a base interface; its id is fixed at creation. */
import { invalid } from "../issues.ts";
import type { InterfaceKind } from "./kind.ts";

export const vlan: InterfaceKind = {
  type: "vlan",
  section: "vlan",
  base: (iface) => iface.vlan?.["base-iface"],
  create: (t) => ({ kind: "vlan", base: t.vlan!["base-iface"]!, id: t.vlan!.id!, ...(t.vlan?.protocol === "802.1ad" ? { protocol: "802.1ad" as const } : {}) }),
  validate({ ctx, path, iface, current, creating }) {
    const vlan = iface.vlan;
    if (creating && !vlan?.["base-iface"]) ctx.report(invalid([...path, "vlan", "base-iface"], "a new VLAN needs its base interface"));
    if (creating && vlan?.id === undefined) ctx.report(invalid([...path, "vlan", "id"], "a new VLAN needs an id (1–4094)"));
    if (vlan?.id !== undefined && (vlan.id < 1 || vlan.id > 4094)) ctx.report(invalid([...path, "vlan", "id"], `VLAN id ${vlan.id} is out of range: 1–4094 (0 and 4095 are reserved)`));
    if (current?.vlan && vlan?.id !== undefined && current.vlan.id !== undefined && vlan.id !== current.vlan.id) {
      ctx.report(invalid([...path, "vlan", "id"], `the id of existing VLAN ${iface.name} is ${current.vlan.id}; it cannot change in place`, "remove and recreate it"));
    }
  },
};
