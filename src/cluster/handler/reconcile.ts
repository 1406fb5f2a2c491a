/**
 * Reconciles one policy on this node. Reads fresh state, decides, acts, and
 * always leaves the enactment saying what happened. Returns when to look
 * again, if ever.
 *
 *   not selected / deleted        → remove the enactment, free a slot
 *   rendered + validated          → nothing to change? Available (no slot needed)
 *   otherwise                     → take a slot (Pending while none is free,
 *                                    Aborted when failed nodes hold them all)
 *                                 → Progressing → drain, with spec.drain (cordon, evict;
 *                                    uncordoned afterwards on every path; drain.ts)
 *                                 → apply (verify, probes, rollback)
 *                                 → Available (slot freed) | Failing (slot kept)
 *
 * Retryable failures (NodenetError.retryable: busy host, kernel error, slow
 * verification) are thrown back to the controller kit, which retries them
 * with the policy's backoff, HOST_RETRY_LIMIT times; invalid input never; a
 * failed probe is not retried: it is the canary that stops the rollout.
 */
import { NodenetError } from "../../errors.ts";
import { staticView } from "../../host/backend.ts";
import { describeTarget } from "../../probe/types.ts";
import { formatIssue, hasErrors } from "../../state/issues.ts";
import { boundedDetails, boundedList } from "../../state/bounded.ts";
import { commit, prepare } from "../../txn/transaction.ts";
import type { Enactment } from "../api/enactment.ts";
import { currentPhase, type EnactmentPhase } from "./enactment-conditions.ts";
import type { HandlerContext } from "./context.ts";
import { probeSettingsFor } from "./probes.ts";
import type { ReconcileResult, Request } from "../kube/controller-kit.ts";
import type { BackoffPolicy } from "../kube/workqueue.ts";
import { errorFields, lineLogger } from "../../log/logger.ts";
import { releaseSlots, takeSlot } from "./rollout.ts";
import { renderForNode } from "./render.ts";
import { DEFAULT_DRAIN_TIMEOUT_SECONDS, drainNode, recoverDrain, uncordonNode } from "./drain.ts";
import { DRAIN_MARKER } from "./drain-pods.ts";
import { conflicts, declaredInterfaces, describeConflicts, missingInterfaces, precedes } from "./neighbours.ts";
import { parseState } from "../../state/parse/index.ts";
import { mergeRevertStates, revertEnactment, REVERT_FINALIZER, setRevertFinalizer } from "./revert.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { selects } from "./selection.ts";
import { waitsForAddress } from "../pools/index.ts";
import { usesNodeTemplates } from "../../state/pools/templates.ts";

/**
 * The handler's retry backoff (the controller kit's, per policy): 5 s, 15 s,
 * 45 s, … at most 5 minutes — for API errors for ever; a retryable host
 * failure (NodenetError.retryable) is tried HOST_RETRY_LIMIT more times, then
 * reported as Failing.
 */
export const HOST_RETRY: BackoffPolicy = { baseMs: 5_000, factor: 3, maxMs: 300_000 };
export const HOST_RETRY_LIMIT = 3;

function regarding(enactment: Enactment) {
  return { apiVersion: "nmstate.io/v1beta1", kind: "NodeNetworkConfigurationEnactment", name: enactment.metadata.name, ...(enactment.metadata.uid ? { uid: enactment.metadata.uid } : {}) };
}

/** The other policies that select this node, with their state as rendered for it (when known) and whether they hold here. */
function neighbours(ctx: HandlerContext, self: string): { name: string; creationTimestamp?: string | undefined; state?: NetworkState; available: boolean }[] {
  const node = ctx.node();
  return ctx
    .policies()
    .filter((p) => p.metadata.name !== self && !p.metadata.deletionTimestamp && selects(p.spec?.nodeSelector, node?.metadata.labels))
    .map((p) => {
      const enactment = ctx.enactment(p.metadata.name);
      const sameGeneration = enactment?.status?.policyGeneration === (p.metadata.generation ?? 1);
      const raw = sameGeneration && enactment?.status?.desiredState ? enactment.status.desiredState : Object.keys(p.spec?.capture ?? {}).length ? undefined : p.spec?.desiredState;
      const state = raw ? parseState(raw).state : undefined;
      return { name: p.metadata.name, creationTimestamp: p.metadata.creationTimestamp, ...(state ? { state } : {}), available: sameGeneration && currentPhase(enactment?.status?.conditions) === "Available" };
    });
}

const trueMessage = (enactment: Enactment) => enactment.status?.conditions?.find((c) => c.status === "True")?.message;

/** How long a policy waits for interfaces nobody declares yet (another policy may be on its way) before it fails. */
const ORPHAN_WAIT_MS = 120_000;

/**
 * Why this policy must wait on this node, if it must: an interface it uses
 * is created by another policy that is not Available here yet — or by none
 * yet, for a while (policies created in the "wrong" order still work).
 */
function dependencyWait(ctx: HandlerContext, self: string, generation: number, desired: NetworkState, current: NetworkState): string | undefined {
  const missing = missingInterfaces(desired, current);
  if (!missing.length) return undefined;
  const others = neighbours(ctx, self);
  for (const iface of missing) {
    const provider = others.find((o) => o.state && declaredInterfaces(o.state).get(iface)?.type);
    if (provider && !provider.available) return `waiting for policy ${provider.name} to create ${iface} on ${ctx.nodeName} (it is not Available here yet)`;
  }
  const key = `${self}@${generation}`;
  const since = ctx.waitingSince.get(key) ?? Date.now();
  ctx.waitingSince.set(key, since);
  if (Date.now() - since < ORPHAN_WAIT_MS) {
    return `waiting for ${missing.join(", ")}: no interface of that name exists on ${ctx.nodeName} and no other policy creates it yet (gives up after ${ORPHAN_WAIT_MS / 1000}s)`;
  }
  return undefined;
}

/**
 * A conflict with an older policy on this node (it wins, neighbours.ts),
 * described — the oldest such policy — if there is one. Whether the older
 * one holds here yet does not matter: every node decides alike.
 */
function conflictWith(ctx: HandlerContext, self: string, desired: NetworkState): string | undefined {
  const me = { name: self, creationTimestamp: ctx.policy(self)?.metadata.creationTimestamp };
  const older = neighbours(ctx, self)
    .filter((o) => o.state && precedes(o, me))
    .sort((a, b) => (precedes(a, b) ? -1 : 1));
  for (const other of older) {
    const found = conflicts(desired, other.state!);
    if (found.length) return describeConflicts(self, other.name, ctx.nodeName, found);
  }
  return undefined;
}

export async function reconcilePolicy(ctx: HandlerContext, request: Request): Promise<ReconcileResult> {
  const name = request.key;
  const node = ctx.node();
  if (!node) return { requeueAfterMs: 2_000 };
  let log = ctx.log.child({ policy: name, enactment: `${ctx.nodeName}.${name}` });
  // Reconciles run one at a time, so no drain is under way: a marker is a drain that ended without its uncordon.
  // One attempt, never fatal: a node cut off from the API server must still get to its drift correction.
  if (node.metadata.annotations?.[DRAIN_MARKER] !== undefined) {
    await recoverDrain(ctx.drain, ctx.nodeName, { log: lineLogger(ctx.log), retryForMs: 0 }).catch((error: unknown) =>
      ctx.log.warn(errorFields(error), "could not uncordon after an unfinished drain; trying again at the next reconcile"),
    );
  }
  const policy = ctx.policy(name);
  const cached = ctx.enactment(name);
  if (cached?.metadata.deletionTimestamp) {
    if (!cached.metadata.finalizers?.includes(REVERT_FINALIZER)) return {};
    const kept = new Set(neighbours(ctx, name).flatMap((o) => (o.state ? [...declaredInterfaces(o.state).keys()] : [])));
    const reverted = await revertEnactment(ctx, cached, kept, request.retries);
    // Its pool addresses go back once the node no longer has them configured (or the revert gave up).
    if (reverted.requeueAfterMs === undefined) await ctx.pools.release(name, ctx.nodeName);
    return reverted;
  }
  if (!policy || policy.metadata.deletionTimestamp || !selects(policy.spec?.nodeSelector, node.metadata.labels)) {
    ctx.driftSuspects.delete(name);
    if (cached) {
      await ctx.enactments.remove(ctx.nodeName, name);
      log.info(policy ? "the policy no longer selects this node; enactment removed" : "the policy was deleted; enactment removed");
    }
    if (policy) await releaseSlots(ctx.rollout, name, ctx.nodeName);
    // With revert on delete, the addresses are released after the revert (above), not while the node still has them.
    if (policy && !cached?.metadata.finalizers?.includes(REVERT_FINALIZER)) await ctx.pools.release(name, ctx.nodeName);
    return {};
  }

  const generation = policy.metadata.generation ?? 1;
  log = log.child({ generation });
  let enactment = cached ?? (await ctx.enactments.ensure(node, name));
  const phase = currentPhase(enactment.status?.conditions);
  const sameGeneration = enactment.status?.policyGeneration === generation;
  const drifted = ctx.driftSuspects.delete(name);
  // A retry of this generation's failed apply: it still holds its slot (Progressing).
  const retries = sameGeneration ? request.retries : 0;
  const retrying = retries > 0 && phase === "Progressing";
  // A conflict lost is looked at again (the older policy may be gone); any other failure waits for a new generation.
  // So is a node that got no address from a pool (one may have been released since).
  const lostConflict = phase === "Failing" && (enactment.status?.conditions?.some((c) => c.type === "Failing" && c.status === "True" && c.reason === "Conflict") || waitsForAddress(enactment));
  if (sameGeneration && (phase === "Aborted" || (phase === "Failing" && !lostConflict))) return {};

  const status = (p: EnactmentPhase, fields = {}) => ctx.enactments.setStatus(enactment, p, { policyGeneration: generation, ...fields }).then((e) => (enactment = e));
  const reportConflict = async (conflict: string) => {
    const known = sameGeneration && lostConflict && conflict === trueMessage(enactment);
    await status({ phase: "Failing", reason: "Conflict", message: conflict });
    // One Event per conflict, not one per look at it.
    if (!known) await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "ConflictingPolicies", action: "Validate", note: conflict.slice(0, 1000) });
    return {};
  };
  // A policy with node templates means something else once the node's labels change: it is rendered again (a no-op if nothing did).
  if (sameGeneration && phase === "Available" && !drifted && !usesNodeTemplates(policy.spec?.desiredState)) {
    // Holding here, but an older policy that sets a field differently may have arrived since: it wins.
    const held = enactment.status?.desiredState ? parseState(enactment.status.desiredState).state : undefined;
    const lost = held ? conflictWith(ctx, name, held) : undefined;
    return lost ? reportConflict(lost) : {};
  }

  const placement = await ctx.pools.place(policy, node);
  if (!placement.ok) {
    if (!(sameGeneration && lostConflict && placement.message === trueMessage(enactment))) {
      await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: placement.reason, action: "Allocate", note: placement.message.slice(0, 1000) });
    }
    await status({ phase: "Failing", reason: placement.reason, message: placement.message }, { addressAllocations: [] });
    return {};
  }
  const snapshot = await ctx.backend.read();
  const rendered = renderForNode(policy, enactment, snapshot.state, ctx.version, placement.values);
  if (!rendered.ok) {
    await status({ phase: "Failing", message: rendered.message });
    await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "FailedToConfigure", action: "Render", note: rendered.message.slice(0, 1000) });
    ctx.metrics.applies.inc({ result: "invalid" });
    return {};
  }
  const waiting = dependencyWait(ctx, name, generation, rendered.desired, staticView(snapshot));
  if (waiting) {
    await status({ phase: "Pending", reason: "WaitingForPolicy", message: waiting });
    return { requeueAfterMs: 3_000 };
  }
  const conflict = conflictWith(ctx, name, rendered.desired);
  if (conflict) return reportConflict(conflict);
  const fields = {
    desiredState: rendered.rendered as Record<string, unknown>,
    capturedStates: rendered.capturedStates,
    desiredStateMetaInfo: { time: new Date().toISOString().replace(/\.\d+Z$/, "Z"), version: ctx.version },
    // Only policies with templates carry the field (an upstream policy's enactment stays as upstream writes it).
    ...(placement.values ? { addressAllocations: placement.addresses } : enactment.status?.addressAllocations?.length ? { addressAllocations: [] } : {}),
  };
  // Prepared once, from the snapshot already read: the no-op check and the apply use the same plan.
  let prepared = await prepare(ctx.backend, rendered.desired, { before: snapshot });
  if (hasErrors(prepared.issues)) {
    const errors = prepared.issues.filter((i) => i.severity === "error").map(formatIssue);
    const message = `the desired state is invalid for this node: ${boundedList(errors)}`;
    await status({ phase: "Failing", message }, { ...fields, failureDetails: boundedDetails(errors) });
    await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "FailedToConfigure", action: "Validate", note: message.slice(0, 1000) });
    ctx.metrics.applies.inc({ result: "invalid" });
    return {};
  }
  if (prepared.operations.length === 0) {
    // The node already is as declared: nothing to risk, no slot needed.
    await status({ phase: "Available", message: "successfully reconciled" }, fields);
    await releaseSlots(ctx.rollout, name, ctx.nodeName);
    ctx.metrics.applies.inc({ result: "noop" });
    return {};
  }

  const correcting = drifted && sameGeneration && phase === "Available";
  if (correcting) {
    if (!ctx.driftGuard(name).tryCorrect(Date.now())) {
      const message = `the host keeps drifting from this policy (${ctx.driftGuard(name).recent} corrections within minutes): something else is changing it; nodenet stopped re-applying — find the other actor, then re-apply the policy`;
      await status({ phase: "Failing", message }, fields);
      await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "DriftRecurring", action: "DriftCorrection", note: message });
      ctx.metrics.driftCorrections.inc({ result: "refused" });
      return {};
    }
  } else if (!retrying) {
    const decision = await takeSlot(ctx.rollout, name, ctx.nodeName);
    log.info({ slot: decision.kind, ...(decision.kind === "wait" ? { heldBy: decision.holders } : {}), slots: decision.slots.map((s) => s.node) }, `rollout slot ${decision.kind}`);
    if (decision.kind === "wait") {
      await status({ phase: "Pending", message: `Waiting for progressing nodes to finish (${decision.holders.join(", ")}): maxUnavailable reached` }, fields);
      return { requeueAfterMs: 3_000 };
    }
    if (decision.kind === "abort") {
      const message = `rollout stopped: the policy failed on ${decision.failed.join(", ") || "other nodes"}, and failed nodes hold every maxUnavailable slot`;
      await status({ phase: "Aborted", message }, fields);
      await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "ConfigurationAborted", action: "Apply", note: message });
      return {};
    }
  }

  // Drift is repaired at once, without a drain: the node already is not as declared.
  const drain = !correcting && policy.spec?.drain?.enabled ? policy.spec.drain : undefined;
  if (correcting) {
    // The drift may have cut this node off the API server: repair first, report when possible.
    await status({ phase: "Progressing", message: "Correcting drift: re-applying the desired state" }, fields).catch((error: unknown) =>
      log.warn(errorFields(error), "could not report the drift correction; correcting anyway"),
    );
  } else {
    await status({ phase: "Progressing", message: drain ? `Draining ${ctx.nodeName} before applying` : "Applying desired state" }, fields);
  }
  try {
    if (drain) {
      const drained = await drainNode(ctx.drain, ctx.nodeName, {
        owner: `${name}@${generation}`,
        timeoutMs: (drain.timeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS) * 1000,
        log: lineLogger(log),
        stillWanted: () => {
          const current = ctx.policy(name);
          return Boolean(current && !current.metadata.deletionTimestamp && (current.metadata.generation ?? 1) === generation && selects(current.spec?.nodeSelector, ctx.node()?.metadata.labels));
        },
        onWaiting: async (message) => {
          await status({ phase: "Progressing", message: `Draining ${ctx.nodeName} before applying: ${message}` }, fields);
          await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "DrainBlocked", action: "Drain", note: message.slice(0, 1000) });
        },
      });
      // The policy changed or went away meanwhile: its queued reconcile decides anew (the finally uncordons).
      if (!drained.ok && drained.reason === "aborted") return {};
      if (!drained.ok) {
        const message = `${drained.message}; nothing applied, ${ctx.nodeName} ${drained.cordonedByNodenet ? "uncordoned" : "left cordoned as it was"}`;
        await status({ phase: "Failing", message }, fields);
        await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "DrainFailed", action: "Drain", note: message.slice(0, 1000) });
        ctx.metrics.applies.inc({ result: "failed" });
        return {};
      }
      const evicted = drained.evicted.length;
      const list = evicted ? ` (${drained.evicted.slice(0, 10).join(", ")}${evicted > 10 ? ", …" : ""})` : "";
      await ctx.events.record({ regarding: regarding(enactment), type: "Normal", reason: "Drained", action: "Drain", note: `drained ${ctx.nodeName} in ${(drained.elapsedMs / 1000).toFixed(1)}s: ${evicted} ${evicted === 1 ? "pod" : "pods"} evicted${list}` });
      await status({ phase: "Progressing", message: "Applying desired state" }, fields);
      // A drain takes minutes: plan against the host as it is now.
      prepared = await prepare(ctx.backend, rendered.desired);
    }
    const result = await commit(ctx.backend, prepared, {
      probes: probeSettingsFor(policy.spec?.probes, ctx.api, ctx.probeTimeoutMs),
      timeoutSeconds: ctx.applyTimeoutSeconds,
      ...(ctx.runProbes ? { runProbes: ctx.runProbes } : {}),
    });
    for (const p of result.probes) ctx.metrics.probeDuration.observe({ probe: p.target.kind, result: p.ok ? "ok" : "failed" }, p.elapsedMs / 1000);
    const previousRevert = enactment.status?.revertState ? parseState(enactment.status.revertState).state : undefined;
    const revertState = result.revert ? mergeRevertStates(previousRevert, result.revert) : previousRevert;
    await status({ phase: "Available", message: "successfully reconciled" }, { ...fields, ...(revertState ? { revertState: revertState as Record<string, unknown> } : {}) });
    await setRevertFinalizer(ctx, enactment, Boolean(policy.spec?.revertOnDelete));
    await releaseSlots(ctx.rollout, name, ctx.nodeName);
    ctx.metrics.applies.inc({ result: "success" });
    if (correcting) ctx.metrics.driftCorrections.inc({ result: "corrected" });
    const note = correcting
      ? `drift corrected on ${ctx.nodeName}: ${result.diff.interfaces.map((i) => i.name).join(", ") || "routes/DNS"} restored in ${result.operations.length} operations`
      : `applied ${result.operations.length} operations on ${ctx.nodeName}; probes passed: ${result.probes.map((p) => describeTarget(p.target)).join(", ") || "none"}`;
    await ctx.events.record({ regarding: regarding(enactment), type: "Normal", reason: correcting ? "DriftCorrected" : "SuccessfullyConfigured", action: "Apply", note });
    log.info({ operations: result.operations.length, drift: correcting }, note);
    return {};
  } catch (error) {
    const failure = error instanceof NodenetError ? error : new NodenetError("bug", error instanceof Error ? error.message : String(error), { cause: error });
    ctx.metrics.applies.inc({ result: "failed" });
    if (failure.restored) ctx.metrics.rollbacks.inc({ reason: failure.kind });
    if (failure.retryable && retries < HOST_RETRY_LIMIT) {
      await status({ phase: "Progressing", message: `retrying (${retries + 1}/${HOST_RETRY_LIMIT}) after: ${failure.message}` }, fields);
      // The controller kit retries it after this policy's backoff.
      throw failure;
    }
    log.warn(errorFields(failure), "apply failed");
    const message = failure.kind === "probe-failed" ? failure.message.replace(/; rolled back, the host is as before$/, "; rolled back") : failure.message;
    await status({ phase: "Failing", message }, { ...fields, ...(failure.details.length ? { failureDetails: boundedDetails(failure.details) } : {}) });
    await ctx.events.record({ regarding: regarding(enactment), type: "Warning", reason: "FailedToConfigure", action: failure.restored ? "Rollback" : "Apply", note: message.slice(0, 1000) });
    if (correcting) ctx.metrics.driftCorrections.inc({ result: "failed" });
    return {};
  } finally {
    // After success, failure and rollback alike; only a cordon this drain made is undone.
    if (drain) await uncordonNode(ctx.drain, ctx.nodeName, { log: lineLogger(log) });
  }
}

