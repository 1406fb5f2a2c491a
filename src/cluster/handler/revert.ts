/**
 * Revert on delete (opt-in, `spec.revertOnDelete`): deleting the policy
 * restores on each node what it changed.
 *
 * At apply time the handler keeps, in the enactment's status, the revert
 * state of the node's FIRST change for the policy (later changes add the
 * interfaces they newly touch, never overwrite: a drift correction's "before"
 * is not the state to go back to), and holds the enactment with a finalizer.
 * When the policy is deleted its enactment is deleted too (by the controller
 * or the handler); the finalizer keeps it until this node has applied the
 * revert state — through the same transaction, probes and rollback — minus
 * the interfaces another policy on the node still declares.
 */
import { NodenetError } from "../../errors.ts";
import { clone } from "../../state/objects.ts";
import { normaliseRoute } from "../../state/merge/index.ts";
import { parseState } from "../../state/parse/index.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { applyState } from "../../txn/transaction.ts";
import type { Enactment } from "../api/enactment.ts";
import type { HandlerContext } from "./context.ts";
import { probeSettingsFor } from "./probes.ts";
import type { ReconcileResult } from "../kube/controller-kit.ts";
import { errorFields } from "../../log/logger.ts";

export const REVERT_FINALIZER = "nodenet.io/revert-on-delete";

/** The first change's revert state, plus what a later change touched for the first time. */
export function mergeRevertStates(first: NetworkState | undefined, next: NetworkState): NetworkState {
  if (!first) return clone(next);
  const out = clone(first);
  const known = new Set((out.interfaces ?? []).map((i) => i.name));
  for (const iface of next.interfaces ?? []) if (!known.has(iface.name)) (out.interfaces ??= []).push(clone(iface));
  const key = (r: object) => JSON.stringify(normaliseRoute(r));
  const routes = new Map([...(out.routes?.config ?? []), ...(next.routes?.config ?? [])].map((r) => [key(r), r]));
  if (routes.size) out.routes = { config: [...routes.values()] };
  const rules = new Map([...(out["route-rules"]?.config ?? []), ...(next["route-rules"]?.config ?? [])].map((r) => [JSON.stringify(r), r]));
  if (rules.size) out["route-rules"] = { config: [...rules.values()] };
  if (!out["dns-resolver"] && next["dns-resolver"]) out["dns-resolver"] = clone(next["dns-resolver"]);
  return out;
}

/** The revert state without the interfaces (and their routes) that other policies still declare. */
export function withoutKept(revert: NetworkState, kept: ReadonlySet<string>): NetworkState {
  const out = clone(revert);
  out.interfaces = (out.interfaces ?? []).filter((i) => !kept.has(i.name));
  if (out.routes?.config) out.routes.config = out.routes.config.filter((r) => !kept.has(r["next-hop-interface"] ?? ""));
  return out;
}

export async function setRevertFinalizer(ctx: HandlerContext, enactment: Enactment, on: boolean): Promise<void> {
  const finalizers = enactment.metadata.finalizers ?? [];
  const has = finalizers.includes(REVERT_FINALIZER);
  if (has === on) return;
  const next = on ? [...finalizers, REVERT_FINALIZER] : finalizers.filter((f) => f !== REVERT_FINALIZER);
  await ctx.enactments.client.mergePatch(enactment.metadata.name, { metadata: { finalizers: next, resourceVersion: enactment.metadata.resourceVersion } });
}

const MAX_REVERT_ATTEMPTS = 3;

/**
 * Applies an enactment's revert state on deletion, then lets the enactment
 * go. A retryable failure is thrown back to the controller kit (its backoff
 * retries it; `retries` counts the failures so far) until the third attempt;
 * any other failure, or the third, gives up: the enactment must not outlive
 * its policy for ever.
 */
export async function revertEnactment(ctx: HandlerContext, enactment: Enactment, keptInterfaces: ReadonlySet<string>, retries = 0): Promise<ReconcileResult> {
  const name = enactment.metadata.name;
  const regarding = { apiVersion: "nmstate.io/v1beta1", kind: "NodeNetworkConfigurationEnactment", name, ...(enactment.metadata.uid ? { uid: enactment.metadata.uid } : {}) };
  const parsed = enactment.status?.revertState ? parseState(enactment.status.revertState) : { state: undefined };
  if (!parsed.state) {
    await setRevertFinalizer(ctx, enactment, false);
    return {};
  }
  const revert = withoutKept(parsed.state, keptInterfaces);
  const log = ctx.log.child({ policy: enactment.metadata.labels?.["nmstate.io/policy"], generation: enactment.status?.policyGeneration, enactment: name });
  try {
    const result = await applyState(ctx.backend, revert, { probes: probeSettingsFor(undefined, ctx.api, ctx.probeTimeoutMs), timeoutSeconds: ctx.applyTimeoutSeconds, ...(ctx.runProbes ? { runProbes: ctx.runProbes } : {}) });
    const note = `reverted on ${ctx.nodeName}: ${result.operations.length} operations restored what the deleted policy changed${keptInterfaces.size ? ` (kept ${[...keptInterfaces].join(", ")}, declared by other policies)` : ""}`;
    await ctx.events.record({ regarding, type: "Normal", reason: "Reverted", action: "Revert", note });
    log.info({ operations: result.operations.length }, note);
  } catch (error) {
    const attempts = retries + 1;
    const message = error instanceof NodenetError ? error.message : String(error);
    await ctx.events.record({ regarding, type: "Warning", reason: "RevertFailed", action: "Revert", note: `revert on ${ctx.nodeName} failed (${attempts}/${MAX_REVERT_ATTEMPTS}): ${message}`.slice(0, 1000) });
    log.warn({ attempt: attempts, ...errorFields(error) }, "revert failed");
    if (error instanceof NodenetError && error.retryable && attempts < MAX_REVERT_ATTEMPTS) throw error;
  }
  await setRevertFinalizer(ctx, enactment, false);
  return {};
}
