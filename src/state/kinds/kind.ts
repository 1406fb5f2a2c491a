/**
 * What the state model knows about one kind of interface, in one place: its
 * type-specific section, what it is built on or holds as ports, what a new
 * one is created with, what is wrong with a declaration of it, and what it
 * adds to a plan beyond the common link settings. src/state/kinds/index.ts
 * lists them; the kernel backend's side of each kind is
 * src/host/kernel/kinds/ under the same name.
 */
import type { Interface } from "../schema/interface.ts";
import type { IssuePath } from "../issues.ts";
import type { LinkCreate } from "../plan/operations.ts";
import type { PlanBuilder } from "../plan/builder.ts";
import type { RuleContext } from "../validate/context.ts";

/** One declared interface as a kind's validation sees it. */
export interface Declaration {
  ctx: RuleContext;
  /** `["interfaces", i]` */
  path: IssuePath;
  iface: Interface;
  current: Interface | undefined;
  /** The interface does not exist yet. */
  creating: boolean;
}

/** A controller kind: which section lists its ports. */
export interface ControllerRelation {
  /** The ports the interface declares, or undefined when it declares no list. */
  ports(iface: Interface): string[] | undefined;
  /** A copy with the port list replaced (keeping per-port settings). */
  withPorts(iface: Interface, ports: string[]): Interface;
  /** Its ports carry no IP configuration of their own (a bridge's or a bond's do not; a VRF's do). */
  portsLoseIp: boolean;
}

export interface InterfaceKind {
  type: Interface["type"] & string;
  /** The kind's own section key (`link-aggregation` for a bond), when it has one. */
  section?: keyof Interface;
  /** Other spellings nmstate accepts for keys of the section: written → the model's key. */
  aliases?: Readonly<Record<string, string>>;
  /** The interface this one is built on (a VLAN's base), which must exist first. */
  base?(iface: Interface): string | undefined;
  controller?: ControllerRelation;
  /**
   * What a new one is made with, from its normalised merged declaration
   * (validated: required fields are there). Undefined for kinds nodenet
   * cannot create (NICs, loopback).
   */
  create?(iface: Interface): LinkCreate;
  /**
   * The section a new link made with `create` reports (the inverse of
   * `create`, with the host's defaults): how the memory backend emulates a
   * kind that has nothing more to emulate (src/host/memory/stacked.ts).
   */
  reported?(create: LinkCreate): Partial<Interface>;
  /** Kind-specific rules (required fields, ranges, settings that cannot change in place). */
  validate?(d: Declaration): void;
  /** What a change of this kind's own settings adds to the plan (`current` undefined for a new one). */
  plan?(b: PlanBuilder, name: string, want: Interface, current: Interface | undefined): void;
}
