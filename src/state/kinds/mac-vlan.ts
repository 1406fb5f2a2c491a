/** A MAC-VLAN: its own MAC address on a base interface. */
import { invalid } from "../issues.ts";
import type { InterfaceKind } from "./kind.ts";

export const macVlan: InterfaceKind = {
  type: "mac-vlan",
  section: "mac-vlan",
  aliases: { "accept-all-mac": "promiscuous" },
  base: (iface) => iface["mac-vlan"]?.["base-iface"],
  create(t) {
    const m = t["mac-vlan"]!;
    return { kind: "mac-vlan", base: m["base-iface"]!, mode: m.mode ?? "vepa", ...(m.mode === "passthru" && m.promiscuous === false ? { promiscuous: false as const } : {}) };
  },
  validate({ ctx, path, iface, creating }) {
    if (creating && !iface["mac-vlan"]?.["base-iface"]) ctx.report(invalid([...path, "mac-vlan", "base-iface"], "a new MAC-VLAN needs its base interface"));
  },
};
