/**
 * Admission's look at the other policies: a new or changed policy that sets
 * a field another policy sets differently, on nodes both select, is let
 * through with a warning naming the field, the other policy, the nodes and
 * which one wins there (the older: src/cluster/handler/neighbours.ts) —
 * before the handlers report the Conflict on each node. Pure.
 *
 * Policies with captures are left out (their states are known only once
 * rendered on each node; the handlers still resolve their conflicts).
 */
import { warning, type Issue } from "../../state/issues.ts";
import { parseState } from "../../state/parse/index.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import type { PolicySpec } from "../api/policy.ts";
import { CONFLICT_RULE, conflicts, precedes, type PolicyAge } from "../handler/neighbours.ts";
import { selects } from "../handler/selection.ts";
import type { NodeView } from "./check.ts";

export interface PeerPolicy extends PolicyAge {
  spec: PolicySpec | undefined;
  deleting?: boolean;
}

function stateOf(spec: PolicySpec | undefined): NetworkState | undefined {
  if (!spec?.desiredState || Object.keys(spec.capture ?? {}).length) return undefined;
  return parseState(spec.desiredState).state;
}

/** One warning per conflicting field and other policy, with the nodes both select. */
export function conflictWarnings(self: PeerPolicy, others: readonly PeerPolicy[], nodes: readonly NodeView[]): { issue: Issue; nodes: string[] }[] {
  const ours = stateOf(self.spec);
  if (!ours) return [];
  const mine = nodes.filter((n) => selects(self.spec?.nodeSelector, n.labels));
  const out: { issue: Issue; nodes: string[] }[] = [];
  for (const other of [...others].sort((a, b) => (precedes(a, b) ? -1 : 1))) {
    if (other.name === self.name || other.deleting) continue;
    const shared = mine.filter((n) => selects(other.spec?.nodeSelector, n.labels)).map((n) => n.name);
    const theirs = shared.length ? stateOf(other.spec) : undefined;
    if (!theirs) continue;
    const weWin = precedes(self, other);
    for (const c of conflicts(ours, theirs)) {
      const index = (ours.interfaces ?? []).findIndex((i) => i.name === c.interface);
      const verdict = weWin
        ? `this policy is older and wins; ${other.name} will report a Conflict there`
        : `${other.name} is older and wins; this policy will report a Conflict there and change nothing`;
      out.push({
        issue: warning(
          ["spec", "desiredState", "interfaces", index, ...c.field.split(".")],
          `${c.interface}.${c.field} is ${JSON.stringify(c.ours)} here but ${JSON.stringify(c.theirs)} in policy ${other.name}, which selects the same nodes: ${verdict} (${CONFLICT_RULE})`,
        ),
        nodes: shared,
      });
    }
  }
  return out;
}
