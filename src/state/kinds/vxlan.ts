/** A VXLAN tunnel endpoint, optionally bound to a base interface. */
import { invalid } from "../issues.ts";
import type { InterfaceKind } from "./kind.ts";

export const vxlan: InterfaceKind = {
  type: "vxlan",
  section: "vxlan",
  base: (iface) => iface.vxlan?.["base-iface"],
  create(t) {
    const v = t.vxlan!;
    return {
      kind: "vxlan",
      id: v.id!,
      destinationPort: v["destination-port"] ?? 4789,
      ...(v["base-iface"] ? { base: v["base-iface"] } : {}),
      ...(v.remote ? { remote: v.remote } : {}),
      ...(v.local ? { local: v.local } : {}),
      ...(v.learning === false ? { learning: false as const } : {}),
    };
  },
  validate({ ctx, path, iface, creating }) {
    // No remote is an EVPN VXLAN: its forwarding entries come from a control plane (BGP), as nmstate allows.
    if (creating && iface.vxlan?.id === undefined) ctx.report(invalid([...path, "vxlan", "id"], "a new VXLAN needs an id (VNI)"));
  },
};
