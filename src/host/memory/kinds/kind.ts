/**
 * The memory backend's emulation of one interface kind (the state model's
 * side is src/state/kinds/ under the same name, the kernel's
 * src/host/kernel/kinds/): how `ip link add` makes one, with the kernel's
 * refusals; what an initial state's declaration of one starts as; and its
 * section as read back.
 */
import type { LinkCreate } from "../../../state/plan/operations.ts";
import type { Interface } from "../../../state/schema/interface.ts";
import type { MemHost, MemLink } from "../model.ts";

export interface MemoryKind<K extends LinkCreate["kind"] = LinkCreate["kind"]> {
  type: K;
  /** `ip link add NAME …`: adds the link (both ends, for a veth) or throws the kernel's error. */
  add(host: MemHost, name: string, create: Extract<LinkCreate, { kind: K }>): void;
  /** Kind state of a link taken from an initial state's declaration. */
  load?(link: MemLink, iface: Interface): void;
  /** The kind's own section as read (`ports`: its ports, sorted by name). */
  render?(host: MemHost, link: MemLink, ports: readonly MemLink[]): Partial<Interface>;
}

export type AnyMemoryKind = { [K in LinkCreate["kind"]]: MemoryKind<K> }[LinkCreate["kind"]];
