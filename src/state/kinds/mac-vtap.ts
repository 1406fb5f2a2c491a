/**
 * MACVTAP: a MAC-VLAN with a tap character device (/dev/tapN) for a VM's
 * userspace. nmstate's schema is MAC-VLAN's: `mac-vtap: {base-iface, mode,
 * promiscuous}`, with `accept-all-mac` for promiscuous.
 */
import { z } from "zod";
import { invalid } from "../issues.ts";
import { boolean, interfaceName } from "../schema/scalars.ts";
import { MAC_VLAN_MODES } from "../schema/links.ts";
import type { InterfaceKind } from "./kind.ts";

export const MacVtapSchema = z.strictObject({
  "base-iface": interfaceName().optional(),
  mode: z.enum(MAC_VLAN_MODES).optional(),
  promiscuous: boolean().optional(),
});
export type MacVtap = z.infer<typeof MacVtapSchema>;

export interface MacVtapCreate {
  kind: "mac-vtap";
  base: string;
  mode: (typeof MAC_VLAN_MODES)[number];
  /** Only passthru mode can turn promiscuous mode off. */
  promiscuous?: false;
}

export const macVtap: InterfaceKind = {
  type: "mac-vtap",
  section: "mac-vtap",
  aliases: { "accept-all-mac": "promiscuous" },
  base: (iface) => iface["mac-vtap"]?.["base-iface"],
  create(t) {
    const m = t["mac-vtap"]!;
    return { kind: "mac-vtap", base: m["base-iface"]!, mode: m.mode ?? "vepa", ...(m.mode === "passthru" && m.promiscuous === false ? { promiscuous: false as const } : {}) };
  },
  reported: (create) => (create.kind === "mac-vtap" ? { "mac-vtap": { "base-iface": create.base, mode: create.mode, promiscuous: create.promiscuous !== false } } : {}),
  validate({ ctx, path, iface, current, creating }) {
    const m = iface["mac-vtap"];
    if (creating && !m?.["base-iface"]) ctx.report(invalid([...path, "mac-vtap", "base-iface"], "a new MACVTAP needs its base interface"));
    if (m?.promiscuous === false && (m.mode ?? current?.["mac-vtap"]?.mode ?? "vepa") !== "passthru") {
      ctx.report(invalid([...path, "mac-vtap", "promiscuous"], "only a passthru MACVTAP can turn promiscuous mode off", "set mode: passthru, or drop promiscuous: false"));
    }
  },
};
