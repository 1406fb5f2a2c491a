/**
 * The kinds the memory backend emulates, one module each, named as in
 * src/state/kinds/. A kind without a module here is emulated by what its
 * state module says a new one reports (stacked.ts): enough for a link whose
 * only behaviour is its settings and its base.
 */
import type { LinkCreate } from "../../../state/plan/operations.ts";
import { bondMemory } from "./bond.ts";
import { dummyMemory } from "./dummy.ts";
import type { AnyMemoryKind } from "./kind.ts";
import { linuxBridgeMemory } from "./linux-bridge.ts";
import { macVlanMemory } from "./mac-vlan.ts";
import { vethMemory } from "./veth.ts";
import { vlanMemory } from "./vlan.ts";
import { vrfMemory } from "./vrf.ts";
import { vxlanMemory } from "./vxlan.ts";

const KINDS: readonly AnyMemoryKind[] = [linuxBridgeMemory, bondMemory, vlanMemory, vxlanMemory, macVlanMemory, vethMemory, dummyMemory, vrfMemory];
const byType = new Map<string, AnyMemoryKind>(KINDS.map((k) => [k.type, k]));

export const memoryKind = (type: string | undefined): AnyMemoryKind | undefined => (type === undefined ? undefined : byType.get(type));

/** Calls a kind's `add` with the create of its own kind (the map is keyed by kind). */
export const addOfKind = (kind: AnyMemoryKind) => kind.add as (host: Parameters<AnyMemoryKind["add"]>[0], name: string, create: LinkCreate) => void;
