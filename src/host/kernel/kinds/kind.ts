/**
 * The kernel backend's side of one interface kind (the state model's side is
 * src/state/kinds/ under the same name): the iproute2 link kind it is, how a
 * new one is added, and how its section is read back from `ip -json -details`.
 */
import type { LinkCreate } from "../../../state/plan/operations.ts";
import type { Interface, InterfaceType } from "../../../state/schema/interface.ts";
import type { IpLink } from "../read/ipjson.ts";
import type { LinkContext } from "../read/link.ts";

export interface KernelKind<K extends LinkCreate["kind"] = LinkCreate["kind"]> {
  type: InterfaceType & K;
  /** iproute2's `type` word, as `linkinfo.info_kind` reports it. */
  infoKind: string;
  /** The kernel module that provides the kind: named when the running kernel cannot make one. */
  module?: string;
  /** The words after `ip` that add a new one. */
  add(name: string, create: Extract<LinkCreate, { kind: K }>): string[];
  /** The kind's own section as read (`ports`: the links enslaved to it). */
  read?(link: IpLink, ports: readonly IpLink[], context: LinkContext): Partial<Interface>;
}

/** A kernel kind of any link kind. */
export type AnyKernelKind = { [K in LinkCreate["kind"]]: KernelKind<K> }[LinkCreate["kind"]];
