/**
 * The pure half of draining a node: which pods are evicted, what an
 * Eviction API refusal means, how a wait is described, and the marker that
 * says nodenet cordoned a node. No API calls here (drain.ts makes them).
 */
import type { ApiStatus } from "../kube/errors.ts";

/**
 * Annotation on a Node that nodenet cordoned: `<policy>@<generation>`.
 * Present exactly while nodenet owns the cordon, so whoever finds it and is
 * not draining (a restarted handler, the next reconcile) uncordons.
 */
export const DRAIN_MARKER = "nodenet.io/drained-by";

/** What a drain needs to know about a pod (parsed from the API's Pod at the boundary). */
export interface PodFacts {
  namespace: string;
  name: string;
  uid: string;
  /** The owner reference marked `controller: true`, if any. */
  controller?: { kind: string; name: string };
  /** A static pod's mirror (annotation kubernetes.io/config.mirror): the API cannot evict it. */
  mirror: boolean;
  /** Has a deletionTimestamp: already on its way out. */
  terminating: boolean;
  phase?: string;
}

export type SkipReason = "daemonset" | "mirror" | "terminating" | "finished";

export type PodDisposition = { action: "evict" } | { action: "skip"; why: SkipReason };

/**
 * As `kubectl drain --ignore-daemonsets --delete-emptydir-data --force`:
 * DaemonSet pods stay (they tolerate the cordon and would come straight
 * back), mirror pods stay (the kubelet owns them), finished pods do not run
 * and terminating ones are already leaving. Pods without a controller are
 * evicted too: the user opted in to drain, and a PodDisruptionBudget is the
 * way to protect a pod from it.
 */
export function dispositionOf(pod: PodFacts): PodDisposition {
  if (pod.mirror) return { action: "skip", why: "mirror" };
  if (pod.controller?.kind === "DaemonSet") return { action: "skip", why: "daemonset" };
  if (pod.terminating) return { action: "skip", why: "terminating" };
  if (pod.phase === "Succeeded" || pod.phase === "Failed") return { action: "skip", why: "finished" };
  return { action: "evict" };
}

export const podRef = (pod: Pick<PodFacts, "namespace" | "name">) => `${pod.namespace}/${pod.name}`;

/** What one Eviction API call did. */
export type EvictionOutcome =
  | { kind: "evicted" }
  /** The pod (this uid) no longer exists. */
  | { kind: "gone" }
  /** Refused for now (a PodDisruptionBudget, usually): try again later. */
  | { kind: "blocked"; budget?: string; detail: string };

/** The Eviction API's cause type for PodDisruptionBudget refusals (policy/v1 DisruptionBudgetCause). */
const DISRUPTION_BUDGET_CAUSE = "DisruptionBudget";

/**
 * Reads an Eviction API refusal. 429 TooManyRequests is a PodDisruptionBudget
 * that allows no disruption now (or whose status is not computed yet); 403
 * with a DisruptionBudget cause is one that cannot be used at the moment; a
 * 500 is, among others, "more than one PodDisruptionBudget" — all may change,
 * so they wait. 404, and 409 from the uid precondition, mean the pod this
 * drain saw is gone. Anything else (RBAC, admission, bad request) is not the
 * budget's doing: undefined, and the caller fails.
 */
export function evictionOutcome(status: ApiStatus | undefined): EvictionOutcome | undefined {
  if (!status) return undefined;
  if (status.code === 404 || status.code === 409) return { kind: "gone" };
  const cause = status.causes.find((c) => c.reason === DISRUPTION_BUDGET_CAUSE)?.message;
  if (status.code === 429 || (status.code === 403 && cause)) {
    // The server's cause reads "The disruption budget NAME needs 3 healthy pods and has 3 currently".
    const named = cause ? /^The disruption budget (\S+) (.*?)\.?$/.exec(cause) : null;
    if (named) return { kind: "blocked", budget: named[1]!, detail: named[2]! };
    return { kind: "blocked", detail: cause ?? status.message ?? `HTTP ${status.code}` };
  }
  if (status.code === 500) return { kind: "blocked", detail: status.message ?? "HTTP 500" };
  return undefined;
}

export interface BlockedPod {
  pod: Pick<PodFacts, "namespace" | "name">;
  outcome: Extract<EvictionOutcome, { kind: "blocked" }>;
}

/** "evicting shop/web-1 would violate PodDisruptionBudget web-pdb (needs 3 healthy pods and has 3 currently)" */
export function describeBlock({ pod, outcome }: BlockedPod): string {
  return outcome.budget
    ? `evicting ${podRef(pod)} would violate PodDisruptionBudget ${outcome.budget} (${outcome.detail})`
    : `evicting ${podRef(pod)} is refused for now: ${outcome.detail}`;
}

/** One line for the enactment and the Event, naming the first blocked pod and how many more there are. */
export function waitingMessage(blocked: readonly BlockedPod[]): string {
  const [first, ...rest] = blocked;
  if (!first) return "waiting";
  return `waiting: ${describeBlock(first)}${rest.length ? `; ${rest.length} more ${rest.length === 1 ? "pod" : "pods"} blocked` : ""}`;
}

/** "drain timed out after 60s: …" — why a drain gave up, from what it last saw. */
export function timeoutMessage(timeoutMs: number, blocked: readonly BlockedPod[], terminating: readonly string[]): string {
  const after = `drain timed out after ${Number((timeoutMs / 1000).toFixed(1))}s`;
  if (blocked.length) return `${after}: ${waitingMessage(blocked).replace(/^waiting: /, "")}`;
  if (terminating.length) {
    const shown = terminating.slice(0, 3).join(", ");
    return `${after} waiting for ${terminating.length} evicted ${terminating.length === 1 ? "pod" : "pods"} to terminate (${shown}${terminating.length > 3 ? ", …" : ""})`;
  }
  return after;
}
