/**
 * Taking and giving back a policy's rollout slot on the API server, with
 * optimistic concurrency on the policy's status: read, decide (slots.ts),
 * write with the resourceVersion that was read; on 409 Conflict, read again.
 * `unavailableNodeCount` is kept equal to the number of slots that count, as
 * upstream's tools expect.
 */
import type { Policy } from "../api/policy.ts";
import type { Enactment } from "../api/enactment.ts";
import { isConflict } from "../kube/errors.ts";
import type { ResourceClient } from "../kube/resources.ts";
import { replaceStatus } from "../kube/status.ts";
import { kubeTime } from "../kube/conditions.ts";
import type { PolicySchema } from "../api/policy.ts";
import { currentPhase } from "./enactment-conditions.ts";
import { maxUnavailableNodes } from "./selection.ts";
import { decideSlot, releaseSlot, type HolderState, type Slot, type SlotDecision } from "./slots.ts";

export interface RolloutContext {
  policies: ResourceClient<typeof PolicySchema>;
  /** Enactments of the policy, by node (fresh from the API, not a cache: the decision must see other nodes' latest). */
  enactmentsOf(policy: string): Promise<Enactment[]>;
  /** Number of nodes the policy selects. */
  matchingNodes(policy: Policy): Promise<number>;
  fieldManager: string;
}

function holderStates(enactments: readonly Enactment[], generation: number): (node: string) => HolderState {
  const byNode = new Map(enactments.map((e) => [e.metadata.labels?.["nmstate.io/node"] ?? e.metadata.name.split(".")[0]!, e]));
  return (node) => {
    const enactment = byNode.get(node);
    if (!enactment) return "missing";
    if (enactment.status?.policyGeneration !== generation) return "pending";
    switch (currentPhase(enactment.status?.conditions)) {
      case "Progressing":
        return "progressing";
      case "Failing":
        return "failing";
      case "Available":
        return "available";
      case "Aborted":
        return "aborted";
      default:
        return "pending";
    }
  };
}

async function writeSlots(ctx: RolloutContext, policy: Policy, slots: Slot[], live: number): Promise<void> {
  const status = { ...policy.status, rolloutSlots: slots, unavailableNodeCount: live, lastUnavailableNodeCountUpdate: kubeTime(new Date()) };
  await replaceStatus(ctx.policies, { ...policy, status }, { fieldManager: ctx.fieldManager });
}

/** Tries to take a slot for `node` in the policy's current generation. */
export async function takeSlot(ctx: RolloutContext, policyName: string, node: string): Promise<SlotDecision> {
  for (let attempt = 0; ; attempt++) {
    const policy = await ctx.policies.get(policyName);
    if (!policy) return { kind: "abort", slots: [], failed: [] };
    const generation = policy.metadata.generation ?? 1;
    const limit = maxUnavailableNodes(policy.spec?.maxUnavailable, await ctx.matchingNodes(policy));
    const states = holderStates(await ctx.enactmentsOf(policyName), generation);
    const decision = decideSlot(node, policy.status?.rolloutSlots ?? [], generation, limit, states, new Date());
    if (decision.kind !== "granted") return decision;
    try {
      await writeSlots(ctx, policy, decision.slots, decision.live);
      return decision;
    } catch (error) {
      if (!isConflict(error) || attempt >= 20) throw error;
    }
  }
}

/**
 * Gives a slot back (after success), or drops a stale one (at start-up).
 * Writes only when the slot list changes.
 */
export async function releaseSlots(ctx: RolloutContext, policyName: string, node: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const policy = await ctx.policies.get(policyName);
    const current = policy?.status?.rolloutSlots ?? [];
    if (!policy || !current.some((s) => s.node === node)) return;
    const generation = policy.metadata.generation ?? 1;
    const { slots, live } = releaseSlot(node, current, generation, holderStates(await ctx.enactmentsOf(policyName), generation));
    try {
      await writeSlots(ctx, policy, slots, live);
      return;
    } catch (error) {
      if (!isConflict(error) || attempt >= 20) throw error;
    }
  }
}
