/**
 * The link kinds the kernel backend can add and read, one module each, named
 * as in src/state/kinds/. Adding a kind: write its module and list it here.
 */
import type { LinkCreate } from "../../../state/plan/operations.ts";
import type { InterfaceType } from "../../../state/schema/interface.ts";
import { bondKind } from "./bond.ts";
import { dummyKind } from "./dummy.ts";
import { ipvlanKind } from "./ipvlan.ts";
import type { AnyKernelKind } from "./kind.ts";
import { linuxBridgeKind } from "./linux-bridge.ts";
import { macVlanKind } from "./mac-vlan.ts";
import { macVtapKind } from "./mac-vtap.ts";
import { vethKind } from "./veth.ts";
import { vlanKind } from "./vlan.ts";
import { vrfKind } from "./vrf.ts";
import { vxlanKind } from "./vxlan.ts";

const KINDS: readonly AnyKernelKind[] = [linuxBridgeKind, bondKind, vlanKind, vxlanKind, macVlanKind, vethKind, dummyKind, vrfKind, ipvlanKind, macVtapKind];

const byType = new Map<string, AnyKernelKind>(KINDS.map((k) => [k.type, k]));
const byInfoKind = new Map<string, AnyKernelKind>(KINDS.map((k) => [k.infoKind, k]));

export const kernelKind = (type: InterfaceType | undefined): AnyKernelKind | undefined => (type === undefined ? undefined : byType.get(type));

/** The kind of a link as `linkinfo.info_kind` names it; undefined for kinds nodenet does not model. */
export const kernelKindOfLink = (infoKind: string): AnyKernelKind | undefined => byInfoKind.get(infoKind);

/** The words after `ip` that add a new link. */
export function linkAddArgs(name: string, create: LinkCreate): string[] {
  const kind = byType.get(create.kind);
  if (!kind) throw new Error(`no kernel support for creating ${create.kind} links`);
  // The map is keyed by kind, so this kind's add takes this create.
  return (kind.add as (name: string, create: LinkCreate) => string[])(name, create);
}
