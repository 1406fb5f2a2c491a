/**
 * Address pools for the handler: what `{{ pool.… }}` and `{{ node.… }}` mean
 * on this node, with the node's addresses allocated (or found again) on the
 * API server first. The handler's one injection point is `AddressPools`
 * (HandlerContext.pools): `place` before rendering, `release` when the node
 * leaves the policy. A policy without such templates costs nothing: no API
 * call, no status field.
 */
import type { Enactment } from "../api/enactment.ts";
import type { Policy } from "../api/policy.ts";
import type { Predicate } from "../kube/predicates.ts";
import type { Node } from "../kube/nodes.ts";
import { formatIssue, isError, prefixIssues } from "../../state/issues.ts";
import { parsePools } from "../../state/pools/pool.ts";
import { placementIssues, usesPlacementTemplates, type PlacementValues } from "../../state/pools/templates.ts";
import { allocateAddresses, releaseAddresses, type PoolStore } from "./store.ts";

export type PoolFailureReason = "AddressPoolExhausted" | "InvalidAddressPool";

/** Enactment reasons (nodenet's) for a node that could get no address: looked at again when the policy's status changes. */
export const POOL_FAILURE_REASONS: readonly string[] = ["AddressPoolExhausted", "InvalidAddressPool"] satisfies PoolFailureReason[];

/** The enactment is Failing because the node could get no address (it looks again when an address is released). */
export const waitsForAddress = (enactment: Enactment | undefined) =>
  enactment?.status?.conditions?.some((c) => c.type === "Failing" && c.status === "True" && POOL_FAILURE_REASONS.includes(c.reason ?? "")) ?? false;

/** A policy update worth a reconcile while this node waits for an address: the allocations changed. */
export function allocationsChanged(waiting: (policy: string) => boolean): Predicate<Policy> {
  return (e) =>
    e.type === "updated" && waiting(e.object.metadata.name) && JSON.stringify(e.object.status?.addressAllocations ?? []) !== JSON.stringify(e.old.status?.addressAllocations ?? []);
}

export type Placement =
  /** `values` absent: the policy has no pool or node templates (an upstream policy). */
  | { ok: true; values?: PlacementValues; addresses: { pool: string; address: string }[] }
  | { ok: false; reason: PoolFailureReason; message: string };

export interface AddressPools {
  place(policy: Policy, node: Node): Promise<Placement>;
  release(policy: string, node: string): Promise<void>;
}

export function nodeValues(node: Node): PlacementValues["node"] {
  return { name: node.metadata.name, labels: node.metadata.labels ?? {}, annotations: node.metadata.annotations ?? {} };
}

export function kubeAddressPools(store: PoolStore): AddressPools {
  return {
    async place(policy, node) {
      const desired = policy.spec?.desiredState;
      if (!usesPlacementTemplates(desired)) {
        // Edited to use no pool any more: what this node held goes back.
        if (policy.status?.addressAllocations?.some((a) => a.node === node.metadata.name)) await releaseAddresses(store, policy.metadata.name, node.metadata.name);
        return { ok: true, addresses: [] };
      }
      // What admission refuses, refused here too (a policy stored while the webhook was bypassed): nothing allocated.
      const { pools } = parsePools(policy.spec?.addressPools);
      const misfits = prefixIssues(["spec", "desiredState"], placementIssues(desired, pools, Object.keys(policy.spec?.addressPools ?? {}))).filter(isError);
      if (misfits.length) return { ok: false, reason: "InvalidAddressPool", message: `the desired state's pool templates do not fit: ${misfits.map(formatIssue).join("; ")}` };
      const allocated = await allocateAddresses(store, policy.metadata.name, node.metadata.name);
      if (!allocated.ok) return allocated;
      const values: PlacementValues = { node: nodeValues(node), pools: allocated.addresses };
      return { ok: true, values, addresses: Object.entries(allocated.addresses).map(([pool, v]) => ({ pool, address: v.address })) };
    },
    release: (policy, node) => releaseAddresses(store, policy, node),
  };
}
