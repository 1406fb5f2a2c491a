/**
 * The interface kinds nodenet can create, change, report and remove, one
 * module each (found by name: src/state/kinds/bond.ts, the kernel's side in
 * src/host/kernel/kinds/bond.ts). Adding a kind: write its module, list it
 * here (its type, its section's schema, its module), and give the kernel
 * backend its side.
 */
import { LinkAggregationSchema } from "../schema/bond.ts";
import { BridgeSchema } from "../schema/bridge.ts";
import { MacVlanSchema, VethSchema, VlanSchema, VrfSchema, VxlanSchema } from "../schema/links.ts";
import { bond } from "./bond.ts";
import { dummy } from "./dummy.ts";
import { ipvlan, IpvlanSchema, type IpvlanCreate } from "./ipvlan.ts";
import { ethernet } from "./ethernet.ts";
import type { InterfaceKind } from "./kind.ts";
import { linuxBridge } from "./linux-bridge.ts";
import { loopback } from "./loopback.ts";
import { macVlan } from "./mac-vlan.ts";
import { macVtap, MacVtapSchema, type MacVtapCreate } from "./mac-vtap.ts";
import { veth } from "./veth.ts";
import { vlan } from "./vlan.ts";
import { vrf } from "./vrf.ts";
import { vxlan } from "./vxlan.ts";

/** The `type` values, in the order error messages list them. */
export const INTERFACE_TYPES = ["ethernet", "veth", "linux-bridge", "bond", "vlan", "vxlan", "mac-vlan", "dummy", "vrf", "ipvlan", "mac-vtap", "loopback"] as const;

/** Each kind's own section of an interface (InterfaceSchema puts them last, in this order). */
export const KIND_SECTIONS = {
  bridge: BridgeSchema.optional(),
  "link-aggregation": LinkAggregationSchema.optional(),
  vlan: VlanSchema.optional(),
  vxlan: VxlanSchema.optional(),
  "mac-vlan": MacVlanSchema.optional(),
  veth: VethSchema.optional(),
  vrf: VrfSchema.optional(),
  ipvlan: IpvlanSchema.optional(),
  "mac-vtap": MacVtapSchema.optional(),
};

/** What a new link is made with, by kind: the settings that exist only from creation on. */
export type LinkCreate =
  | { kind: "linux-bridge" }
  | { kind: "bond"; mode: string }
  | { kind: "vlan"; base: string; id: number; protocol?: "802.1ad" }
  | { kind: "vxlan"; id: number; base?: string; remote?: string; local?: string; destinationPort: number; learning?: false }
  | { kind: "mac-vlan"; base: string; mode: string; promiscuous?: false }
  | { kind: "veth"; peer: string }
  | { kind: "dummy" }
  | { kind: "vrf"; tableId: number }
  | IpvlanCreate
  | MacVtapCreate;

const KINDS: ReadonlyMap<string, InterfaceKind> = new Map(
  [ethernet, veth, linuxBridge, bond, vlan, vxlan, macVlan, dummy, vrf, ipvlan, macVtap, loopback].map((kind) => [kind.type, kind]),
);

export function kindOf(type: string | undefined): InterfaceKind | undefined {
  return type === undefined ? undefined : KINDS.get(type);
}

const ALL = [...KINDS.values()];
export const allKinds = (): readonly InterfaceKind[] => ALL;

/** The kinds' section keys (`link-aggregation`, `vlan`, …). */
export const KIND_SECTION_KEYS: ReadonlySet<string> = new Set(ALL.flatMap((k) => (k.section ? [k.section as string] : [])));

/** The kinds that accept other spellings of their section's keys. */
export const KINDS_WITH_ALIASES: readonly InterfaceKind[] = ALL.filter((k) => k.section && k.aliases);
