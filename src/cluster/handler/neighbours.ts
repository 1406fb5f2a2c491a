/**
 * A policy among the other policies on the same node. Pure.
 *
 * Dependencies: a policy that uses an interface the host does not have yet
 * (a VLAN's base, a bridge's port, a route's interface) and another policy
 * declares waits for that policy to be Available on the node — instead of
 * failing, or depending on the order of policy names.
 *
 * Conflicts: two policies that set the same field of the same interface to
 * different values would fight (each apply undoing the other). The older
 * policy wins — by creationTimestamp, then by name — on every node alike,
 * whatever order the node saw them in; the younger one fails there with a
 * Conflict naming the field and the winner, and changes nothing.
 */
import { baseOf, declaredPorts } from "../../state/model.ts";
import { deepEqual, flatten } from "../../state/objects.ts";
import type { Interface } from "../../state/schema/interface.ts";
import type { NetworkState } from "../../state/schema/state.ts";

/** Interfaces `desired` refers to that neither the host has nor `desired` creates. */
export function missingInterfaces(desired: NetworkState, current: NetworkState): string[] {
  const have = new Set((current.interfaces ?? []).map((i) => i.name));
  const creates = new Set((desired.interfaces ?? []).filter((i) => i.state !== "absent" && i.type).map((i) => i.name));
  const needed = new Set<string>();
  for (const iface of desired.interfaces ?? []) {
    if (iface.state === "absent" || iface.state === "ignore") continue;
    if (!iface.type) needed.add(iface.name);
    const base = baseOf(iface);
    if (base) needed.add(base);
    for (const port of declaredPorts(iface) ?? []) needed.add(port);
    if (iface.controller) needed.add(iface.controller);
  }
  for (const route of desired.routes?.config ?? []) if (route.state !== "absent" && route["next-hop-interface"]) needed.add(route["next-hop-interface"]);
  return [...needed].filter((name) => !have.has(name) && !creates.has(name)).sort();
}

/** The interfaces a state creates or configures (not those it removes). */
export function declaredInterfaces(state: NetworkState): Map<string, Interface> {
  return new Map((state.interfaces ?? []).filter((i) => i.state !== "absent" && i.state !== "ignore").map((i) => [i.name, i]));
}

export interface Conflict {
  interface: string;
  field: string;
  ours: unknown;
  theirs: unknown;
}

/** Fields both states set on the same interface, to different values. */
export function conflicts(ours: NetworkState, theirs: NetworkState): Conflict[] {
  const out: Conflict[] = [];
  const other = declaredInterfaces(theirs);
  for (const [name, iface] of declaredInterfaces(ours)) {
    const them = other.get(name);
    if (!them) continue;
    const a = flatten(iface);
    const b = flatten(them);
    for (const [field, value] of a) {
      if (field === "name" || !b.has(field)) continue;
      if (!deepEqual(value, b.get(field))) out.push({ interface: name, field, ours: value, theirs: b.get(field) });
    }
  }
  return out;
}

export function describeConflicts(policy: string, other: string, node: string, found: readonly Conflict[]): string {
  const fields = found.map((c) => `${c.interface}.${c.field} is ${JSON.stringify(c.ours)} in ${policy} but ${JSON.stringify(c.theirs)} in ${other}`);
  return `Conflict: policy ${policy} conflicts with policy ${other} on ${node}: ${fields.join("; ")}; ${other} is older and wins (${CONFLICT_RULE}), ${policy} changes nothing here — change one of them`;
}

/** What decides which of two conflicting policies wins. */
export interface PolicyAge {
  name: string;
  /** RFC 3339 (second precision, as the API server writes it); absent: not created yet, the youngest. */
  creationTimestamp?: string | undefined;
}

/** Whether `a` wins a conflict over `b`: created earlier, or in the same second with the smaller name. */
export function precedes(a: PolicyAge, b: PolicyAge): boolean {
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : Number.POSITIVE_INFINITY;
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb;
  return a.name < b.name;
}

export const CONFLICT_RULE = "the oldest policy wins a conflict: by creationTimestamp, then by name";
