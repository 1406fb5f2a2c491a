/**
 * IPVLAN: links that share their base's MAC address and are told apart by IP
 * address (layer 2, layer 3, or layer 3 with netfilter: `l2`, `l3`, `l3s`).
 * nmstate's schema: `ipvlan: {base-iface, mode, private, vepa}`, where
 * `private` and `vepa` pick how the links of one base reach each other
 * (neither: bridged through the driver). The kernel keeps the mode and those
 * flags per base: every IPVLAN on one base has the same.
 */
import { z } from "zod";
import { invalid } from "../issues.ts";
import { boolean, interfaceName } from "../schema/scalars.ts";
import type { InterfaceKind } from "./kind.ts";

export const IPVLAN_MODES = ["l2", "l3", "l3s"] as const;

export const IpvlanSchema = z.strictObject({
  "base-iface": interfaceName().optional(),
  mode: z.enum(IPVLAN_MODES).optional(),
  private: boolean().optional(),
  vepa: boolean().optional(),
});
export type Ipvlan = z.infer<typeof IpvlanSchema>;

export interface IpvlanCreate {
  kind: "ipvlan";
  base: string;
  mode: (typeof IPVLAN_MODES)[number];
  /** The links of one base talk only through the outside (private) or through an external switch (vepa); default bridged. */
  isolation: "bridge" | "private" | "vepa";
}

/** The settings the kernel would have, defaults filled in. */
const settingsOf = (v: Ipvlan | undefined) => ({ base: v?.["base-iface"], mode: v?.mode ?? "l3", isolation: v?.private ? "private" : v?.vepa ? "vepa" : "bridge" });

export const ipvlan: InterfaceKind = {
  type: "ipvlan",
  section: "ipvlan",
  base: (iface) => iface.ipvlan?.["base-iface"],
  create(t) {
    const v = t.ipvlan!;
    const { mode, isolation } = settingsOf(v);
    return { kind: "ipvlan", base: v["base-iface"]!, mode, isolation: isolation as IpvlanCreate["isolation"] };
  },
  reported(create) {
    if (create.kind !== "ipvlan") return {};
    return { ipvlan: { "base-iface": create.base, mode: create.mode, private: create.isolation === "private", vepa: create.isolation === "vepa" } };
  },
  validate({ ctx, path, iface, current, creating }) {
    const v = iface.ipvlan;
    if (creating && !v?.["base-iface"]) ctx.report(invalid([...path, "ipvlan", "base-iface"], "a new IPVLAN needs its base interface"));
    if (v?.private && v.vepa) ctx.report(invalid([...path, "ipvlan", "vepa"], "an IPVLAN is either private or vepa, not both"));
    const mine = settingsOf(ctx.target(iface.name)?.ipvlan);
    const names = new Set([...(ctx.desired.interfaces ?? []).map((i) => i.name), ...ctx.currentByName.keys()]);
    for (const other of names) {
      const theirs = other === iface.name ? undefined : ctx.target(other);
      if (theirs?.type !== "ipvlan" || !mine.base || theirs.ipvlan?.["base-iface"] !== mine.base) continue;
      const them = settingsOf(theirs.ipvlan);
      if (them.mode !== mine.mode || them.isolation !== mine.isolation) {
        ctx.report(invalid([...path, "ipvlan", "mode"], `${iface.name} would be ${mine.mode} ${mine.isolation} and ${other} on the same base ${mine.base} ${them.mode} ${them.isolation}; the kernel keeps one mode and one of private/vepa per base`, "give every IPVLAN on one base the same mode, private and vepa"));
        break;
      }
    }
    const was = current?.ipvlan;
    for (const key of ["base-iface", "mode", "private", "vepa"] as const) {
      if (was && v?.[key] !== undefined && was[key] !== undefined && v[key] !== was[key]) {
        ctx.report(invalid([...path, "ipvlan", key], `the ${key} of existing IPVLAN ${iface.name} is ${String(was[key])}; it cannot change in place`, "remove and recreate it"));
      }
    }
  },
};
