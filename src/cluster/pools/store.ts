/**
 * Address allocations on the API server: `status.addressAllocations` of the
 * policy, changed with optimistic concurrency — read the policy, decide
 * (allocate.ts), PUT the status with the resourceVersion read; a 409 means
 * another node (or the controller) wrote in between: read again, decide
 * again. Two handlers that pick the same lowest free address at the same
 * moment cannot both succeed: the second write fails, and its retry sees the
 * first one's entry. ADR 0012.
 */
import type { Policy, PolicySchema } from "../api/policy.ts";
import { isConflict } from "../kube/errors.ts";
import type { ResourceClient } from "../kube/resources.ts";
import { replaceStatus } from "../kube/status.ts";
import { parsePools } from "../../state/pools/pool.ts";
import { poolsReferenced, type PoolValue } from "../../state/pools/templates.ts";
import type { Pool } from "../../state/pools/pool.ts";
import { decideAllocations, releaseAllocations } from "./allocate.ts";

export interface PoolStore {
  policies: ResourceClient<typeof PolicySchema>;
  fieldManager: string;
  /** Called on each 409 Conflict before reading again (metrics, the concurrency test). */
  onConflict?: () => void;
}

export type Allocated =
  /** pool → this node's address (with the pool's prefix and gateway); empty when the policy refers to no pool. */
  | { ok: true; addresses: Record<string, PoolValue> }
  | { ok: false; reason: "AddressPoolExhausted" | "InvalidAddressPool"; message: string };

const MAX_ATTEMPTS = 20;

function valuesOf(mine: Record<string, string>, pools: ReadonlyMap<string, Pool>): Record<string, PoolValue> {
  return Object.fromEntries(
    Object.entries(mine).map(([name, address]) => {
      const pool = pools.get(name)!;
      return [name, { address, prefixLength: pool.prefix, ...(pool.gateway ? { gateway: pool.gateway } : {}) }];
    }),
  );
}

async function write(store: PoolStore, policy: Policy, allocations: NonNullable<NonNullable<Policy["status"]>["addressAllocations"]>): Promise<void> {
  await replaceStatus(store.policies, { ...policy, status: { ...policy.status, addressAllocations: allocations } }, { fieldManager: store.fieldManager });
}

/** Makes sure `node` holds an address in every pool the policy's desiredState refers to, and none in others. */
export async function allocateAddresses(store: PoolStore, policyName: string, node: string, now = () => new Date()): Promise<Allocated> {
  for (let attempt = 0; ; attempt++) {
    const policy = await store.policies.get(policyName);
    if (!policy) return { ok: true, addresses: {} };
    const wanted = poolsReferenced(policy.spec?.desiredState);
    const { pools, issues } = parsePools(policy.spec?.addressPools);
    const broken = wanted.filter((name) => !pools.has(name));
    if (broken.length) {
      const why = issues.filter((i) => i.severity === "error").map((i) => `spec.addressPools.${i.path.join(".")}: ${i.message}`);
      const message = why.length ? why.join("; ") : `the desired state refers to ${broken.map((b) => `{{ pool.${b} }}`).join(", ")}, not in spec.addressPools`;
      return { ok: false, reason: "InvalidAddressPool", message };
    }
    const current = policy.status?.addressAllocations ?? [];
    const decision = decideAllocations(node, wanted, pools, current, now());
    if (decision.kind === "exhausted") {
      // Nothing of this node's is kept in a pool it cannot fully use.
      if (current.some((a) => a.node === node)) await releaseAddresses(store, policyName, node);
      return { ok: false, reason: "AddressPoolExhausted", message: decision.message };
    }
    if (!decision.changed) return { ok: true, addresses: valuesOf(decision.mine, pools) };
    try {
      await write(store, policy, decision.allocations);
      return { ok: true, addresses: valuesOf(decision.mine, pools) };
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      store.onConflict?.();
    }
  }
}

/** Gives back every address `node` holds in the policy's pools (it left the policy). Writes only if it held one. */
export async function releaseAddresses(store: PoolStore, policyName: string, node: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const policy = await store.policies.get(policyName);
    const current = policy?.status?.addressAllocations ?? [];
    if (!policy || !current.some((a) => a.node === node)) return;
    try {
      await write(store, policy, releaseAllocations(node, current));
      return;
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      store.onConflict?.();
    }
  }
}
