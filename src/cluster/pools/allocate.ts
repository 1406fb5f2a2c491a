/**
 * Deciding one node's addresses in a policy's pools, from the allocation
 * list as read from the policy's status. Pure; store.ts reads and writes.
 *
 * Guarantees (given that every write is conditional on the resourceVersion
 * read, so two deciders never both write from the same list):
 * - a node keeps the address it holds while the pool still offers it
 *   (policy edits, handler restarts and reboots change nothing);
 * - a node never takes an address another node's entry holds — whether or
 *   not that entry is still valid for the pool (its node may still have it
 *   configured until it reconciles);
 * - new addresses are the lowest free ones, so a list reads in node order of
 *   arrival, and a released address is the first to be handed out again;
 * - other nodes' entries are written back exactly as read (the handler may
 *   change only its own: deploy/rbac/handler.yaml).
 */
import type { AddressAllocation } from "../api/policy.ts";
import { allocatable, describeCapacity, lowestFree, type Pool } from "../../state/pools/pool.ts";
import { canonicalIp } from "../../state/ip-address.ts";

export type AllocationDecision =
  /** `allocations`: the list to write (`changed` false: nothing to write); `mine`: pool → address. */
  | { kind: "allocated"; allocations: AddressAllocation[]; mine: Record<string, string>; changed: boolean }
  | { kind: "exhausted"; pool: string; message: string };

/**
 * The allocation list after `node` holds one address in each of `wanted`
 * (pool names, all in `pools`) and none in any other pool of the policy.
 */
export function decideAllocations(node: string, wanted: readonly string[], pools: ReadonlyMap<string, Pool>, current: readonly AddressAllocation[], now: Date): AllocationDecision {
  const others = current.filter((a) => a.node !== node);
  const kept: AddressAllocation[] = [];
  const mine: Record<string, string> = {};
  for (const name of wanted) {
    const pool = pools.get(name)!;
    const taken = new Set(others.filter((a) => a.pool === name).map((a) => canonicalIp(a.address)));
    const held = current.find((a) => a.node === node && a.pool === name);
    if (held && allocatable(pool, held.address) && !taken.has(canonicalIp(held.address))) {
      kept.push(held);
      mine[name] = held.address;
      continue;
    }
    const address = lowestFree(pool, taken);
    if (!address) {
      const holders = others.filter((a) => a.pool === name && allocatable(pool, a.address)).map((a) => a.node).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
      return {
        kind: "exhausted",
        pool: name,
        message: `address pool ${name} is exhausted: all ${describeCapacity(pool)} are held by other nodes (${holders.join(", ")}); ${node} gets none and nothing was applied — widen spec.addressPools.${name}.cidr, or remove a node from the policy`,
      };
    }
    kept.push({ pool: name, node, address, since: now.toISOString().replace(/\.\d+Z$/, "Z") });
    mine[name] = address;
  }
  const before = current.filter((a) => a.node === node);
  const changed = before.length !== kept.length || before.some((a) => !kept.includes(a));
  // Others first, as read; this node's entries after them, in pool order.
  return { kind: "allocated", allocations: [...others, ...kept], mine, changed };
}

/** The list without any entry of `node` (it left the policy). */
export function releaseAllocations(node: string, current: readonly AddressAllocation[]): AddressAllocation[] {
  return current.filter((a) => a.node !== node);
}

/** The list without entries of nodes that no longer exist (the controller's cleanup); undefined when none is gone. */
export function withoutGoneNodes(current: readonly AddressAllocation[], exists: (node: string) => boolean): { kept: AddressAllocation[]; gone: string[] } | undefined {
  const gone = [...new Set(current.filter((a) => !exists(a.node)).map((a) => a.node))];
  return gone.length ? { kept: current.filter((a) => exists(a.node)), gone } : undefined;
}
