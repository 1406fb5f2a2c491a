/**
 * Drain before configure (`spec.drain`): cordon the node, evict its pods
 * through the Eviction API so PodDisruptionBudgets are honoured, wait until
 * they are gone — and uncordon afterwards, whatever happened.
 *
 * Guarantees
 * - A node nodenet cordons carries the DRAIN_MARKER annotation, set in the
 *   same write as `spec.unschedulable` (optimistic concurrency on the
 *   resourceVersion): the cordon and the record of owning it cannot part.
 * - A node someone else had cordoned is drained but never uncordoned: no
 *   marker is written, and `uncordonNode` only undoes a marked cordon.
 * - `uncordonNode` is idempotent and safe to call whether or not the drain
 *   ran, finished or threw: call it in a `finally`. `recoverDrain` is the
 *   same for a handler that starts after one died mid-drain.
 * - A PodDisruptionBudget that forbids an eviction is waited for (with
 *   backoff) until `timeoutMs`, and `onWaiting` is told why, naming the pod
 *   and the budget, each time the reason changes.
 *
 * Caveats
 * - A node cordoned by someone else *while* nodenet holds its own cordon
 *   looks the same; nodenet uncordons it at the end.
 * - Pods already terminating when the drain starts are neither evicted nor
 *   waited for; pods it evicted are waited for until they are gone.
 * - The drain runs inside one reconcile: it blocks the node's work queue for
 *   at most `timeoutMs`.
 */
import { NodenetError } from "../../errors.ts";
import { Backoff, sleep } from "../kube/backoff.ts";
import { apiStatus, describeApiError } from "../kube/errors.ts";
import { dispositionOf, podRef, timeoutMessage, waitingMessage, type BlockedPod, type EvictionOutcome, type PodFacts } from "./drain-pods.ts";

/** A node as far as cordoning goes. */
export interface CordonState {
  resourceVersion: string;
  unschedulable: boolean;
  /** The DRAIN_MARKER annotation's value, when nodenet holds the cordon. */
  marker?: string;
}

/** The API calls a drain makes (drain-kube.ts over a real API server; fakes in tests). */
export interface DrainApi {
  node(name: string): Promise<CordonState | undefined>;
  /** Sets or clears cordon and marker together, if the node is still at `resourceVersion`. */
  setCordon(name: string, resourceVersion: string, cordon: { unschedulable: boolean; marker: string | null }): Promise<"ok" | "conflict">;
  podsOn(node: string): Promise<PodFacts[]>;
  evict(pod: PodFacts): Promise<EvictionOutcome>;
}

/** Used when a policy's `spec.drain.timeoutSeconds` is not given. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 300;

export interface DrainOptions {
  /** Who drains, written into the marker: `<policy>@<generation>`. */
  owner: string;
  timeoutMs: number;
  /** Told why the drain waits (a PodDisruptionBudget), each time that changes. Errors are logged, not raised. */
  onWaiting?: (message: string) => unknown;
  log?: (message: string) => void;
  /** Ends the drain early (handler stopping): the result is `aborted`. */
  signal?: AbortSignal;
  /**
   * Asked before each round: false ends the drain early (`aborted`) — the
   * policy was changed or deleted meanwhile, and the next reconcile decides
   * anew instead of waiting out the timeout for a change nobody wants.
   */
  stillWanted?: () => boolean;
  /** How often to look whether evicted pods are gone. */
  pollMs?: number;
  /** Backoff between attempts to evict pods a PodDisruptionBudget protects. */
  retryMs?: { initial: number; max: number };
}

export type DrainResult =
  | { ok: true; cordonedByNodenet: boolean; evicted: string[]; elapsedMs: number }
  | { ok: false; reason: "timed-out" | "aborted"; message: string; cordonedByNodenet: boolean; evicted: string[]; elapsedMs: number };

const failed = (node: string, what: string, error: unknown) =>
  error instanceof NodenetError ? error : new NodenetError("backend-failed", `draining ${node}: ${what}: ${describeApiError(error)}`, { cause: error });

/** Client errors say the request itself is wrong or not allowed: waiting will not fix them. */
const isPermanent = (error: unknown) => {
  const code = apiStatus(error)?.code;
  return error instanceof NodenetError || (code !== undefined && code >= 400 && code < 500 && code !== 408 && code !== 429);
};

async function cordon(api: DrainApi, node: string, owner: string, log: (m: string) => void): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const state = await api.node(node);
    if (!state) throw new NodenetError("backend-failed", `draining ${node}: the Node object does not exist`);
    if (state.unschedulable && state.marker === undefined) {
      log(`${node} was already cordoned by someone else: draining it, and leaving it cordoned afterwards`);
      return false;
    }
    // Our marker without the cordon (someone uncordoned a node nodenet drained) or another owner's: take it over.
    if (state.unschedulable && state.marker === owner) return true;
    if ((await api.setCordon(node, state.resourceVersion, { unschedulable: true, marker: owner })) === "ok") {
      log(`cordoned ${node}${state.marker !== undefined ? ` (taking over the cordon of ${state.marker})` : ""}`);
      return true;
    }
  }
  throw new NodenetError("backend-failed", `draining ${node}: the Node kept changing while cordoning it (20 conflicts)`);
}

/**
 * Cordons `node` and evicts its pods; resolves when they are gone, or when
 * `timeoutMs` passed (`timed-out`, with the reason it last saw). API errors
 * that waiting cannot fix reject (NodenetError `backend-failed`). It never
 * uncordons: call `uncordonNode` afterwards, on every path.
 */
export async function drainNode(api: DrainApi, node: string, options: DrainOptions): Promise<DrainResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const log = options.log ?? (() => undefined);
  const pollMs = options.pollMs ?? 1_000;
  const backoff = new Backoff({ initialMs: options.retryMs?.initial ?? 1_000, maxMs: options.retryMs?.max ?? 5_000 });
  let cordonedByNodenet = false;
  try {
    cordonedByNodenet = await cordon(api, node, options.owner, log);
  } catch (error) {
    throw failed(node, "cordoning", error);
  }

  /** Pods this drain evicted, by uid: waited for until gone. */
  const evicted = new Map<string, string>();
  let blocked: BlockedPod[] = [];
  let terminating: string[] = [];
  let lastWaiting = "";
  const result = <R extends { ok: boolean }>(r: R) => ({ ...r, cordonedByNodenet, evicted: [...evicted.values()], elapsedMs: Date.now() - started });

  for (;;) {
    if (options.signal?.aborted) return result({ ok: false as const, reason: "aborted" as const, message: `draining ${node} was interrupted` });
    if (options.stillWanted && !options.stillWanted()) return result({ ok: false as const, reason: "aborted" as const, message: `draining ${node} was abandoned: the change is no longer wanted` });
    try {
      const pods = await api.podsOn(node);
      terminating = pods.filter((p) => evicted.has(p.uid)).map(podRef);
      blocked = [];
      for (const pod of pods) {
        if (dispositionOf(pod).action !== "evict") continue;
        const outcome = await api.evict(pod);
        if (outcome.kind === "evicted") {
          evicted.set(pod.uid, podRef(pod));
          terminating.push(podRef(pod));
          log(`evicted ${podRef(pod)}`);
          backoff.reset();
        } else if (outcome.kind === "blocked") blocked.push({ pod, outcome });
      }
      if (!blocked.length && !terminating.length) {
        log(`drained ${node} in ${((Date.now() - started) / 1000).toFixed(1)}s: ${evicted.size} pods evicted`);
        return result({ ok: true as const });
      }
    } catch (error) {
      if (isPermanent(error)) throw failed(node, "evicting its pods", error);
      log(`draining ${node}: ${describeApiError(error)}; trying again`);
    }
    if (blocked.length) {
      const message = waitingMessage(blocked);
      if (message !== lastWaiting) {
        lastWaiting = message;
        log(message);
        try {
          await options.onWaiting?.(message);
        } catch (error) {
          log(`could not report the wait: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) return result({ ok: false as const, reason: "timed-out" as const, message: timeoutMessage(options.timeoutMs, blocked, terminating) });
    await sleep(Math.min(left, blocked.length ? backoff.next() : pollMs), options.signal);
  }
}

export interface UncordonOptions {
  log?: (message: string) => void;
  /** Keep trying this long when the API server does not answer (e.g. just after a rollback). */
  retryForMs?: number;
}

/**
 * Uncordons `node` if nodenet cordoned it (the marker is there), and removes
 * the marker; leaves alone a node someone else cordoned. Idempotent. Resolves
 * to the marker it removed, if any; rejects (NodenetError `backend-failed`)
 * only after `retryForMs` of failures — the next reconcile or handler start
 * then tries again (`recoverDrain`).
 */
export async function uncordonNode(api: DrainApi, node: string, options: UncordonOptions = {}): Promise<string | undefined> {
  const deadline = Date.now() + (options.retryForMs ?? 60_000);
  const backoff = new Backoff({ initialMs: 500, maxMs: 5_000 });
  for (;;) {
    try {
      const state = await api.node(node);
      if (state?.marker === undefined) return undefined;
      if ((await api.setCordon(node, state.resourceVersion, { unschedulable: false, marker: null })) === "ok") {
        options.log?.(`uncordoned ${node} (cordoned for ${state.marker})`);
        return state.marker;
      }
      continue;
    } catch (error) {
      if (Date.now() >= deadline || (isPermanent(error) && apiStatus(error)?.code !== 409)) throw failed(node, "uncordoning", error);
      options.log?.(`uncordoning ${node}: ${describeApiError(error)}; trying again`);
    }
    await sleep(backoff.next());
  }
}

/**
 * For a handler starting (or a reconcile beginning, when nothing is being
 * drained): a marker left on the node means a drain ended without its
 * uncordon (the handler died, or the uncordon failed) — uncordon now.
 */
export async function recoverDrain(api: DrainApi, node: string, options: UncordonOptions = {}): Promise<string | undefined> {
  const removed = await uncordonNode(api, node, options);
  if (removed) options.log?.(`${node} was left cordoned by an unfinished drain (${removed}): uncordoned`);
  return removed;
}
