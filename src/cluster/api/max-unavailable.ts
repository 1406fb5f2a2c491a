/**
 * spec.maxUnavailable: what is accepted, and how many nodes it means.
 *
 * Accepted: an integer >= 0, or a string of digits with or without a
 * trailing `%` ("25%", "3"). Refused (the CRD's CEL rule and admission say
 * why): negative numbers, "", "abc", "-10%", "1.5%", " 5%". Upstream's CRD
 * stores such values and its handlers then fall back to the default "50%"
 * silently; nodenet refuses them instead, so the value in the object is the
 * one used.
 *
 * Clamped (kubernetes-nmstate clamps too): fewer than 1 node (0, "0%", a
 * percentage of few nodes) becomes 1, so a policy always makes progress;
 * more than the matching nodes ("150%", 100000) becomes all of them. A
 * percentage is of the matching nodes, rounded down (upstream rounds up:
 * "50%" of 3 nodes is 1 here, 2 there — nodenet keeps one more node up).
 * Default "50%". The result is shown in status.maxUnavailableNodes.
 */

import { invalid, warning, type Issue } from "../../state/issues.ts";

export const DEFAULT_MAX_UNAVAILABLE = "50%";

const ACCEPTED = /^[0-9]+%?$/;

/** The CRD's x-kubernetes-validations rule for the field (self: the int-or-string value). */
export const MAX_UNAVAILABLE_CEL = {
  rule: "type(self) == int ? self >= 0 : self.matches('^[0-9]+%?$')",
  message: 'must be a whole number of nodes (0 or more) or a whole percentage such as "25%"',
};

/** Why a value cannot be used, or undefined when it can. */
export function maxUnavailableProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? undefined : `${value} ${MAX_UNAVAILABLE_CEL.message}`;
  if (typeof value === "string") return ACCEPTED.test(value) ? undefined : `${JSON.stringify(value)} ${MAX_UNAVAILABLE_CEL.message}`;
  return `${JSON.stringify(value)} ${MAX_UNAVAILABLE_CEL.message}`;
}

export interface EffectiveMaxUnavailable {
  /** Nodes that may be applying or failed at once. */
  nodes: number;
  /** Set when the value was raised to 1, capped at the matching nodes, or unusable (then the default applies). */
  note?: string;
}

/** How many of `matchingNodes` may be unavailable at once, and whether the value was clamped. */
export function effectiveMaxUnavailable(maxUnavailable: number | string | undefined, matchingNodes: number): EffectiveMaxUnavailable {
  const problem = maxUnavailableProblem(maxUnavailable);
  if (problem) return { ...effectiveMaxUnavailable(DEFAULT_MAX_UNAVAILABLE, matchingNodes), note: `${problem}: the default ${DEFAULT_MAX_UNAVAILABLE} applies` };
  const value = maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
  const asked = typeof value === "number" ? value : value.endsWith("%") ? Math.floor((Number(value.slice(0, -1)) * matchingNodes) / 100) : Number(value);
  const all = Math.max(1, matchingNodes);
  if (asked < 1) return { nodes: 1, note: `${JSON.stringify(value)} means fewer than 1 of ${matchingNodes} nodes: raised to 1` };
  if (asked > all) return { nodes: all, note: `${JSON.stringify(value)} is more than the ${matchingNodes} matching nodes: all of them` };
  return { nodes: asked };
}

/** What admission says about the value for a policy that selects `matchingNodes` nodes: an error if unusable, a warning if clamped. */
export function maxUnavailableIssues(maxUnavailable: unknown, matchingNodes: number): Issue[] {
  const path = ["spec", "maxUnavailable"];
  const problem = maxUnavailableProblem(maxUnavailable);
  if (problem) return [invalid(path, problem)];
  if (maxUnavailable === undefined || matchingNodes === 0) return [];
  const { nodes, note } = effectiveMaxUnavailable(maxUnavailable as number | string, matchingNodes);
  return note ? [warning(path, `${note} (${nodes} at a time)`)] : [];
}
