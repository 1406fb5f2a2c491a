/**
 * What admission says about a policy's address pools and per-node
 * templates, before any node allocates anything:
 * - each pool parses (a CIDR without host bits, a gateway inside it,
 *   exclusions inside it) — `spec.addressPools.NAME.…`;
 * - each `{{ pool.NAME }}` names a declared pool that fits where it is used
 *   (family, prefix length) — `spec.desiredState.…`;
 * - each pool has an address for every node the policy selects now — a
 *   node that joins later and finds it full is told so on its enactment;
 * - without `revertOnDelete`, a warning: a node leaving the policy keeps its
 *   address configured while the pool may give it to another node.
 * And, per node, the desired state as that node would render it (node
 * labels and annotations; the pool's first free address standing in for the
 * node's own), so the usual validation runs on it.
 */
import { invalid, isError, prefixIssues, warning, type Issue } from "../../state/issues.ts";
import { describeCapacity, lowestFree, parsePools } from "../../state/pools/pool.ts";
import { placementIssues, poolsReferenced, renderPlacement, usesNodeTemplates, usesPlacementTemplates, type PoolValue } from "../../state/pools/templates.ts";
import type { PolicySpec } from "../api/policy.ts";

export interface PlacementCheck {
  /** Findings that do not depend on a node. */
  issues: Issue[];
  /** The policy has pool or node templates (they are filled in before validation). */
  templated: boolean;
  /** The desired state differs per node (node templates). */
  perNode: boolean;
  /** The desired state for one node, templates filled in; issues name the field. */
  render(node: { name: string; labels: Record<string, string>; annotations?: Record<string, string> }): { ok: true; desiredState: unknown } | { ok: false; issues: Issue[] };
}

export function checkPlacement(spec: PolicySpec | undefined, selectedNodes: number): PlacementCheck {
  const desired = spec?.desiredState ?? {};
  const declared = spec?.addressPools ?? {};
  const { pools, issues: poolIssues } = parsePools(declared);
  const issues = [...prefixIssues(["spec", "addressPools"], poolIssues), ...prefixIssues(["spec", "desiredState"], placementIssues(desired, pools, Object.keys(declared)))];
  const templated = usesPlacementTemplates(desired);
  const used = new Set(poolsReferenced(desired));
  for (const [name, pool] of pools) {
    if (!used.has(name)) {
      issues.push(warning(["spec", "addressPools", name], `address pool ${name} is not used: no {{ pool.${name} }} in spec.desiredState`));
      continue;
    }
    if (BigInt(selectedNodes) > pool.capacity) {
      issues.push(
        invalid(["spec", "addressPools", name, "cidr"], `address pool ${name} is too small for the ${selectedNodes} nodes the policy selects: it has ${describeCapacity(pool)}`, "use a larger CIDR, fewer exclusions, or a narrower nodeSelector"),
      );
    }
  }
  if (used.size && !spec?.revertOnDelete) {
    issues.push(
      warning(["spec", "revertOnDelete"], "a node that leaves this policy (or a deleted policy) keeps its pool address configured, while the address goes back to the pool and may be given to another node", "set revertOnDelete: true, so the address is removed from the node before it is released"),
    );
  }
  const stand: Record<string, PoolValue> = {};
  for (const [name, pool] of pools) {
    const address = lowestFree(pool, new Set());
    if (address) stand[name] = { address, prefixLength: pool.prefix, ...(pool.gateway ? { gateway: pool.gateway } : {}) };
  }
  const broken = issues.some(isError);
  return {
    issues,
    templated,
    perNode: usesNodeTemplates(desired),
    render(node) {
      if (!templated) return { ok: true, desiredState: desired };
      // Already reported above; rendering again would only repeat it per node.
      if (broken) return { ok: false, issues: [] };
      const rendered = renderPlacement(desired, { node: { name: node.name, labels: node.labels, annotations: node.annotations ?? {} }, pools: stand });
      return rendered.ok ? { ok: true, desiredState: rendered.value } : { ok: false, issues: prefixIssues(["spec", "desiredState"], rendered.issues) };
    },
  };
}
