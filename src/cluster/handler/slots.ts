/**
 * Rollout slots: at most maxUnavailable nodes of a policy generation may be
 * applying or failed at once. The slots live in the policy's status
 * (`status.rolloutSlots`, plus upstream's `unavailableNodeCount` kept in step), and
 * are taken and released with optimistic concurrency: read the policy, decide
 * here, write the status with the resourceVersion that was read; a conflict
 * means someone else changed it — read again and decide again.
 *
 * A slot is never leaked: a slot whose node no longer exists, whose enactment
 * finished successfully or aborted, or that belongs to an older generation
 * does not count; a handler that restarts drops its own slot before deciding
 * anything.
 *
 * A handler writes only its own slot (the ValidatingAdmissionPolicy in
 * deploy/rbac/handler.yaml enforces it, docs/adr/0007-handler-own-node.md):
 * other nodes' slots are written back as read, except those of older
 * generations, which anyone may drop. A dead slot of the current generation
 * stays in the list, not counted, until the next generation.
 */

export interface Slot {
  node: string;
  generation: number;
  /** RFC 3339 time the slot was taken. */
  since: string;
}

/** What the deciding node knows about each slot holder's enactment for the policy. */
export type HolderState = "progressing" | "failing" | "available" | "aborted" | "pending" | "missing";

export type SlotDecision =
  /** `slots`: the list to write; `live`: how many of them count (unavailableNodeCount). */
  | { kind: "granted"; slots: Slot[]; live: number }
  | { kind: "already-held"; slots: Slot[] }
  | { kind: "wait"; slots: Slot[]; holders: string[] }
  /** Every slot is held by a node that failed: the rollout stops here. */
  | { kind: "abort"; slots: Slot[]; failed: string[] };

/** Slots that still count for this generation. */
export function liveSlots(slots: readonly Slot[], generation: number, holderState: (node: string) => HolderState): Slot[] {
  return slots.filter((s) => {
    if (s.generation !== generation) return false;
    const state = holderState(s.node);
    return state === "progressing" || state === "failing" || state === "pending";
  });
}

export function decideSlot(
  node: string,
  slots: readonly Slot[],
  generation: number,
  limit: number,
  holderState: (node: string) => HolderState,
  now: Date,
): SlotDecision {
  const live = liveSlots(slots, generation, (n) => (n === node ? "pending" : holderState(n)));
  if (live.some((s) => s.node === node)) return { kind: "already-held", slots: live };
  if (live.length < limit) return { kind: "granted", slots: [...othersKept(node, slots, generation), { node, generation, since: now.toISOString() }], live: live.length + 1 };
  const failed = live.filter((s) => holderState(s.node) === "failing").map((s) => s.node);
  if (failed.length >= limit) return { kind: "abort", slots: live, failed };
  return { kind: "wait", slots: live, holders: live.map((s) => s.node) };
}

/** Other nodes' slots as they were, but for older generations' (which anyone may drop). */
function othersKept(node: string, slots: readonly Slot[], generation: number): Slot[] {
  return slots.filter((s) => s.node !== node && s.generation === generation);
}

/** The slots after `node` gives its slot back (success), and how many of them count. */
export function releaseSlot(node: string, slots: readonly Slot[], generation: number, holderState: (node: string) => HolderState): { slots: Slot[]; live: number } {
  return { slots: othersKept(node, slots, generation), live: liveSlots(slots, generation, holderState).filter((s) => s.node !== node).length };
}
