/**
 * The host transaction: a change ends exactly as declared and still connected,
 * or exactly as it was.
 *
 *   validate → merge → plan → checkpoint (+ watchdog) → execute → verify → probe → commit
 *                                   └──────── any failure: roll back (apply the revert state, verify it)
 *
 * `withCheckpoint` owns commit-or-rollback: on failure it rolls back, reports a
 * failed rollback loudly (keeping the checkpoint for `nodenet rollback`) and
 * returns the original error.
 */
import { staticView, type HostBackend, type HostSnapshot, type ReadScope } from "../host/backend.ts";
import { ExecuteError } from "../host/backend.ts";
import { NodenetError } from "../errors.ts";
import { probeTargets } from "../probe/targets.ts";
import { runProbes } from "../probe/runner.ts";
import { describeFailure, describeTarget, type ProbeResult, type ProbeSettings } from "../probe/types.ts";
import { diffStates, type StateDiff } from "../state/diff.ts";
import { formatIssue, hasErrors, type Issue } from "../state/issues.ts";
import { mergeStates, type MergedState } from "../state/merge/index.ts";
import { plan, describe, type Operation } from "../state/plan/index.ts";
import { revertState } from "../state/revert.ts";
import type { NetworkState } from "../state/schema/state.ts";
import { validate, type ValidateOptions } from "../state/validate/index.ts";
import { formatMismatch, verifyState, type Mismatch } from "../state/verify.ts";
import { newCheckpoint, readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { acquireLock } from "./lock.ts";
import { stopWatchdog } from "./watchdog.ts";

export type ApplyEvent =
  | { type: "validated"; warnings: Issue[] }
  | { type: "planned"; operations: Operation[]; diff: StateDiff }
  | { type: "checkpoint"; id: string; deadline: number | null }
  | { type: "executed"; operations: number; ms: number }
  | { type: "verified"; attempts: number; ms: number }
  | { type: "probe-skipped"; target: string; detail: string }
  | { type: "probed"; results: ProbeResult[]; ms: number }
  | { type: "rolling-back"; reason: string }
  | { type: "rolled-back"; ms: number }
  | { type: "committed" }
  | { type: "pending"; id: string; deadline: number };

export interface ApplyOptions {
  /** Commit when verification and probes pass (default). False leaves the change pending until commit/rollback/timeout. */
  commit?: boolean;
  /** Seconds before an uncommitted change is rolled back (watchdog deadline). */
  timeoutSeconds?: number;
  verify?: boolean;
  /** Probes to run before commit; undefined runs none. */
  probes?: ProbeSettings;
  validation?: ValidateOptions;
  /** Treat warnings as errors. */
  strict?: boolean;
  /** Compute and report, change nothing. */
  dryRun?: boolean;
  onEvent?: (event: ApplyEvent) => void;
}

export interface ApplyResult {
  changed: boolean;
  operations: Operation[];
  diff: StateDiff;
  warnings: Issue[];
  /** Set when the change was left pending (commit: false). */
  checkpoint?: string;
  /** The revert state recorded for this change (for revert-on-delete). */
  revert?: NetworkState;
  probes: ProbeResult[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VERIFY_ATTEMPTS = 10;

/** Reads the host back until every declared key holds, a few times for slow kernel events. */
/** The interfaces whose per-interface kernel settings a state declares (see ReadScope). */
export function readScopeFor(...states: NetworkState[]): ReadScope {
  const names = states.flatMap((s) => (s.interfaces ?? []).filter((i) => i.ipv4?.forwarding !== undefined || i.ipv6?.["addr-gen-mode"] !== undefined).map((i) => i.name));
  return { settingsOf: names };
}

async function verifyWithRetries(backend: HostBackend, merged: MergedState): Promise<{ mismatches: Mismatch[]; attempts: number; after: HostSnapshot }> {
  const scope = readScopeFor(merged.desired);
  let mismatches: Mismatch[] = [];
  let after = await backend.read(scope);
  for (let attempt = 1; ; attempt++) {
    mismatches = verifyState(merged, after.state);
    if (!mismatches.length || attempt >= VERIFY_ATTEMPTS) return { mismatches, attempts: attempt, after };
    await sleep(100 * attempt);
    after = await backend.read(scope);
  }
}

/** Applies a revert state (or any trusted state) and verifies it; used by rollback and the watchdog. */
export async function restore(backend: HostBackend, revert: NetworkState): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const snapshot = await backend.read(readScopeFor(revert));
      const merged = mergeStates(revert, staticView(snapshot));
      const ops = plan(merged);
      if (ops.length) await backend.execute(ops);
      const { mismatches } = await verifyWithRetries(backend, merged);
      if (!mismatches.length) return;
      lastError = new Error(`after rollback: ${mismatches.map(formatMismatch).join("; ")}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Rolls back a pending checkpoint (nodenet rollback, the watchdog, a failed apply). */
export async function rollbackCheckpoint(backend: HostBackend, checkpoint: Checkpoint, options: { fromWatchdog?: boolean } = {}): Promise<void> {
  try {
    await restore(backend, checkpoint.revert);
  } catch (error) {
    throw new NodenetError(
      "rollback-failed",
      `ROLLBACK FAILED on ${backend.description}: ${error instanceof Error ? error.message : String(error)}; the checkpoint is kept — run 'nodenet rollback${backend.netns ? ` --netns ${backend.netns}` : ""}' to retry`,
      { cause: error },
    );
  }
  removeCheckpoint(backend.stateDir, checkpoint.id);
  if (!options.fromWatchdog) stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
}

export async function commitCheckpoint(backend: HostBackend): Promise<Checkpoint> {
  const checkpoint = readCheckpoint(backend.stateDir);
  if (!checkpoint) throw new NodenetError("invalid-input", `no change is pending on ${backend.description}`);
  removeCheckpoint(backend.stateDir, checkpoint.id);
  stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
  return checkpoint;
}

function pendingError(backend: HostBackend, checkpoint: Checkpoint): NodenetError {
  const when = checkpoint.deadline ? ` (rolled back automatically at ${new Date(checkpoint.deadline).toISOString()})` : "";
  return new NodenetError("checkpoint-pending", `a change is pending on ${backend.description} since ${checkpoint.createdAt}${when}; run 'nodenet commit' or 'nodenet rollback' first`);
}

export async function applyState(backend: HostBackend, desired: NetworkState, options: ApplyOptions = {}): Promise<ApplyResult> {
  const emit = options.onEvent ?? (() => undefined);
  const lock = acquireLock(backend.stateDir, backend.description);
  try {
    const pending = readCheckpoint(backend.stateDir);
    if (pending && !options.dryRun) throw pendingError(backend, pending);

    const before = await backend.read(readScopeFor(desired));
    const current = staticView(before);
    const validation = validate(desired, current, options.validation);
    const warnings = validation.issues.filter((i) => i.severity === "warning");
    const invalid = options.strict ? validation.issues : validation.issues.filter((i) => i.severity === "error");
    if (hasErrors(invalid) || (options.strict && invalid.length)) {
      const unsupported = invalid.length > 0 && invalid.every((i) => i.kind === "unsupported");
      throw new NodenetError(unsupported ? "unsupported" : "invalid-input", `the desired state is invalid:\n${invalid.map((i) => `  ${formatIssue(i)}`).join("\n")}`, { issues: invalid });
    }
    emit({ type: "validated", warnings });
    const merged = validation.merged;
    const operations = plan(merged);
    const diff = diffStates(merged);
    emit({ type: "planned", operations, diff });
    const result: ApplyResult = { changed: operations.length > 0, operations, diff, warnings, probes: [] };
    if (options.dryRun) return result;

    if (!operations.length) {
      // Nothing to write; still prove the host holds what was declared.
      if (options.verify !== false) {
        const mismatches = verifyState(merged, before.state);
        if (mismatches.length) {
          throw new NodenetError("verification-failed", `the host differs from the desired state in ways nodenet cannot change:\n${mismatches.map((m) => `  ${formatMismatch(m)}`).join("\n")}`);
        }
      }
      return result;
    }

    const revert = revertState(merged);
    result.revert = revert;
    const timeoutSeconds = options.timeoutSeconds ?? 60;
    const checkpoint = newCheckpoint({
      deadline: Date.now() + timeoutSeconds * 1000,
      revert,
      desired,
      applyPid: process.pid,
      ...(backend.netns ? { netns: backend.netns } : {}),
    });
    // Probes that already fail are not held against the change.
    const baselineTargets = options.probes ? probeTargets(before.state, before.state, options.probes) : [];
    const baselinePromise = runProbes(backend.netns, baselineTargets.map((t) => ({ ...t, timeoutMs: 1500 })), { attempts: 2 });
    writeCheckpoint(backend.stateDir, checkpoint);
    const watchdogPid = backend.startWatchdog?.(checkpoint.id);
    if (watchdogPid) {
      checkpoint.watchdogPid = watchdogPid;
      writeCheckpoint(backend.stateDir, checkpoint);
    }
    emit({ type: "checkpoint", id: checkpoint.id, deadline: checkpoint.deadline });
    const baseline = await baselinePromise;

    const fail = async (error: NodenetError | Error, reason: string): Promise<never> => {
      emit({ type: "rolling-back", reason });
      const started = Date.now();
      try {
        await rollbackCheckpoint(backend, checkpoint);
      } catch (rollbackError) {
        // Both matter: what went wrong, and that the host could not be restored.
        throw new NodenetError("rollback-failed", `${reason}\n${(rollbackError as Error).message}`, { cause: error });
      }
      emit({ type: "rolled-back", ms: Date.now() - started });
      if (error instanceof NodenetError) throw new NodenetError(error.kind, `${error.message}; rolled back, the host is as before`, { restored: true, cause: error.cause, issues: error.issues });
      throw new NodenetError("backend-failed", `${reason}; rolled back, the host is as before`, { restored: true, cause: error });
    };

    let started = Date.now();
    try {
      await backend.execute(operations);
    } catch (error) {
      const detail = error instanceof ExecuteError ? `operation ${error.index + 1}/${operations.length} failed: ${error.message}` : `applying failed: ${(error as Error).message}`;
      // A DHCP server that does not answer is a connectivity failure, not a kernel hiccup worth retrying.
      const kind = error instanceof ExecuteError && (error.cause as Error | undefined)?.name === "LeaseTimeoutError" ? "probe-failed" : "backend-failed";
      return await fail(new NodenetError(kind, detail, { cause: error }), detail);
    }
    emit({ type: "executed", operations: operations.length, ms: Date.now() - started });

    let after = before;
    if (options.verify !== false) {
      started = Date.now();
      const verified = await verifyWithRetries(backend, merged);
      after = verified.after;
      if (verified.mismatches.length) {
        const detail = `verification failed: ${verified.mismatches.map(formatMismatch).join("; ")}`;
        return await fail(new NodenetError("verification-failed", detail), detail);
      }
      emit({ type: "verified", attempts: verified.attempts, ms: Date.now() - started });
    } else {
      after = await backend.read(readScopeFor(desired));
    }

    if (options.probes) {
      started = Date.now();
      const failingBefore = new Set(baseline.filter((r) => !r.ok).map((r) => describeTarget(r.target)));
      const targets = probeTargets(before.state, after.state, options.probes).filter((t) => {
        const skip = t.kind !== "gateway-missing" && failingBefore.has(describeTarget(t));
        if (skip) emit({ type: "probe-skipped", target: describeTarget(t), detail: "it already failed before the change" });
        return !skip;
      });
      const results = await runProbes(backend.netns, targets, { failFast: true });
      result.probes = results;
      emit({ type: "probed", results, ms: Date.now() - started });
      const failed = results.filter((r) => !r.ok);
      if (failed.length) {
        const detail = failed.map(describeFailure).join("; ");
        return await fail(new NodenetError("probe-failed", detail), detail);
      }
    }

    if (options.commit === false) {
      result.checkpoint = checkpoint.id;
      emit({ type: "pending", id: checkpoint.id, deadline: checkpoint.deadline! });
      return result;
    }
    removeCheckpoint(backend.stateDir, checkpoint.id);
    stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
    emit({ type: "committed" });
    return result;
  } finally {
    lock.release();
  }
}

export { describe };
