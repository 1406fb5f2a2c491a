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
import { runProbes as runProbesInTarget } from "../probe/runner.ts";
import { describeFailure, describeTarget, type ProbeResult, type ProbeSettings } from "../probe/types.ts";
import { diffStates, type StateDiff } from "../state/diff.ts";
import { boundedList } from "../state/bounded.ts";
import { formatIssue, hasErrors, type Issue } from "../state/issues.ts";
import { mergeStates, type MergedState } from "../state/merge/index.ts";
import { plan, type Operation } from "../state/plan/index.ts";
import { revertState } from "../state/revert.ts";
import type { NetworkState } from "../state/schema/state.ts";
import { validate, type ValidateOptions } from "../state/validate/index.ts";
import { formatMismatch, verifyState, type Mismatch } from "../state/verify.ts";
import { newCheckpoint, readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { lockTarget } from "./lock.ts";
import { persistCommitted } from "./persist.ts";
import { stopWatchdog } from "./watchdog.ts";
import { processStartTicks } from "../process-alive.ts";

export type ApplyEvent =
  | { type: "validated"; warnings: Issue[] }
  | { type: "planned"; operations: Operation[]; diff: StateDiff }
  | { type: "checkpoint"; id: string; deadline: number | null }
  | { type: "executed"; operations: number; ms: number }
  | { type: "verified"; attempts: number; ms: number }
  | { type: "probe-skipped"; target: string; detail: string }
  | { type: "probed"; results: ProbeResult[]; ms: number }
  | { type: "rolling-back"; reason: string }
  | { type: "rolled-back"; ms: number; outcome: string }
  | { type: "committed" }
  | { type: "record-warning"; detail: string }
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
  /** Merge the committed change into the target's persisted record (default true; false: --memory-only, and boot itself). */
  persist?: boolean;
  onEvent?: (event: ApplyEvent) => void;
  /** How probes run (default: for real, in the backend's namespace); unit tests of callers pass their own. */
  runProbes?: typeof runProbesInTarget;
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

const resolverServers = (snapshot: HostSnapshot) => snapshot.state["dns-resolver"]?.running?.server ?? [];

/**
 * DNS servers learned by DHCP or router advertisements reach the resolver a
 * moment after the lease (the client's hook writes them): when the host had
 * servers before the change, has none yet and an interface learns DNS, read
 * it again until some appear or the DNS probe's own timeout passes — only
 * then is DNS lost.
 */
async function awaitLearnedDns(backend: HostBackend, scope: ReadScope, before: HostSnapshot, after: HostSnapshot, probes: ProbeSettings): Promise<HostSnapshot> {
  const learnsDns = (after.state.interfaces ?? []).some((i) =>
    [i.ipv4, i.ipv6].some((ip) => ip && ip.enabled !== false && (ip.dhcp || (ip as { autoconf?: boolean }).autoconf) && ip["auto-dns"] !== false),
  );
  if (!probes.dns.enabled || !learnsDns || !resolverServers(before).length) return after;
  const deadline = Date.now() + probes.dns.timeoutMs;
  let current = after;
  while (!resolverServers(current).length && Date.now() < deadline) {
    await sleep(250);
    current = await backend.read(scope);
  }
  return current;
}
const VERIFY_ATTEMPTS = 10;

/** Reads the host back until every declared key holds, a few times for slow kernel events. */
/** The interfaces whose per-interface kernel settings a state declares (see ReadScope). */
export function readScopeFor(...states: NetworkState[]): ReadScope {
  // An IPv6 section sets the router-advertisement switch (accept_ra), whose current value the plan compares.
  const names = states.flatMap((s) => (s.interfaces ?? []).filter((i) => i.ipv4?.forwarding !== undefined || i.ipv6 !== undefined).map((i) => i.name));
  return { settingsOf: names };
}

/**
 * The read scope of a revert state: only the settings it names. Its IPv6
 * sections say what was, not what to imply; a section without `accept-ra`
 * (an interface touched only by implication, whose switch was not read
 * before the change) must leave the switch alone, which it does while the
 * switch stays unread.
 */
function revertScope(revert: NetworkState): ReadScope {
  const names = (revert.interfaces ?? []).filter((i) => i.ipv4?.forwarding !== undefined || i.ipv6?.["addr-gen-mode"] !== undefined || i.ipv6?.["accept-ra"] !== undefined).map((i) => i.name);
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
      const snapshot = await backend.read(revertScope(revert));
      const merged = mergeStates(revert, staticView(snapshot), { restoring: true });
      // The revert state is an earlier reading of the host: put its addresses back in exactly their order.
      const ops = plan(merged, { exactAddressOrder: true });
      if (ops.length) await backend.execute(ops);
      const { mismatches } = await verifyWithRetries(backend, merged);
      if (!mismatches.length) return;
      lastError = new Error(`after rollback: ${boundedList(mismatches.map(formatMismatch))}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Rolls back a pending checkpoint (nodenet rollback, the watchdog, a failed apply). */
/** "the host is as before", or exactly what differs from before in what the kernel lists (e.g. a route's protocol). */
export async function describeRestored(backend: HostBackend, checkpoint: Checkpoint): Promise<string> {
  if (!checkpoint.routesBefore || !backend.routeListing) return "the host is as before";
  let after = await backend.routeListing().catch(() => undefined);
  if (!after) return "the host is as before (its routes could not be read back to compare)";
  // The state model has no route protocol: a route re-added by the revert is "static", one the kernel dropped
  // with its address (a DHCP default route) is not in the revert at all. Put the listing back as it was.
  if (backend.restoreRouteListing && after.join("\n") !== checkpoint.routesBefore.join("\n")) {
    await backend.restoreRouteListing(checkpoint.routesBefore).catch(() => undefined);
    after = (await backend.routeListing().catch(() => undefined)) ?? after;
  }
  const missing = checkpoint.routesBefore.filter((line) => !after.includes(line));
  const extra = after.filter((line) => !checkpoint.routesBefore!.includes(line));
  if (!missing.length && !extra.length) return "the host is as before";
  return `the host is as before except its routes: ${boundedList([...missing.map((l) => `missing "${l}"`), ...extra.map((l) => `new "${l}"`)])}`;
}

export async function rollbackCheckpoint(backend: HostBackend, checkpoint: Checkpoint, options: { fromWatchdog?: boolean } = {}): Promise<void> {
  try {
    await restore(backend, checkpoint.revert);
  } catch (error) {
    const gone = backend.targetGone?.();
    if (gone) {
      // Nothing is left to restore; a kept checkpoint would only block the next namespace of that name.
      removeCheckpoint(backend.checkpointDir, checkpoint.id);
      if (!options.fromWatchdog) stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
      throw new NodenetError("backend-failed", `${gone} while the change was in progress; nothing is left to roll back`, { cause: error });
    }
    throw new NodenetError(
      "rollback-failed",
      `ROLLBACK FAILED on ${backend.description}: ${error instanceof Error ? error.message : String(error)}; the checkpoint is kept — run 'nodenet rollback${backend.netns ? ` --netns ${backend.netns}` : ""}' to retry`,
      { cause: error },
    );
  }
  removeCheckpoint(backend.checkpointDir, checkpoint.id);
  if (!options.fromWatchdog) stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
}

/** Keeps a pending change: it joins the persisted record now, not when it was applied. */
export async function commitCheckpoint(backend: HostBackend, options: { persist?: boolean } = {}): Promise<Checkpoint & { recordWarning?: string }> {
  const checkpoint = readCheckpoint(backend.checkpointDir);
  if (!checkpoint) throw new NodenetError("invalid-input", `no change is pending on ${backend.description}`);
  try {
    removeCheckpoint(backend.checkpointDir, checkpoint.id);
  } catch (error) {
    const when = checkpoint.deadline ? `; it is still rolled back at ${new Date(checkpoint.deadline).toISOString()}` : "";
    throw new NodenetError((error as NodenetError).kind ?? "backend-failed", `not committed: ${(error as Error).message}${when}`, { cause: error });
  }
  stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
  const recordWarning = options.persist === false || checkpoint.memoryOnly ? undefined : persistCommitted(backend, checkpoint.desired);
  return recordWarning ? { ...checkpoint, recordWarning } : checkpoint;
}

function pendingError(backend: HostBackend, checkpoint: Checkpoint): NodenetError {
  const when = checkpoint.deadline ? ` (rolled back automatically at ${new Date(checkpoint.deadline).toISOString()})` : "";
  return new NodenetError("checkpoint-pending", `a change is pending on ${backend.description} since ${checkpoint.createdAt}${when}; run 'nodenet commit' or 'nodenet rollback' first`);
}

/**
 * A change computed against the host as read, before anything is touched:
 * nmstate's MergedNetworkState, computed once and handed to commit, verify and
 * revert. `prepare` never changes the host and never throws for invalid
 * input: the caller decides how to report `issues` (commit refuses them).
 */
export interface PreparedChange {
  desired: NetworkState;
  /** The host as read for this change. */
  before: HostSnapshot;
  merged: MergedState;
  operations: Operation[];
  diff: StateDiff;
  /** Every validation issue, errors and warnings. */
  issues: Issue[];
  warnings: Issue[];
}

export interface PrepareOptions {
  validation?: ValidateOptions;
  /**
   * The host as already read (read with every interface's settings, i.e. no
   * scope): a caller that read it for its own decisions (the handler renders
   * captures from it) does not read it twice.
   */
  before?: HostSnapshot;
}

/** Reads (unless given the snapshot), validates, merges and plans; touches nothing. */
export async function prepare(backend: HostBackend, desired: NetworkState, options: PrepareOptions = {}): Promise<PreparedChange> {
  const scope = readScopeFor(desired);
  let before = options.before ?? (await backend.read(scope));
  let validation = validate(desired, staticView(before), options.validation);
  // The revert state re-creates what the change removes as it was, per-interface switches included: an interface
  // removed without an IPv6 section of its own (declared absent, or gone with a removed veth peer or base) had them
  // unread, so read again with those named (only a change that removes such interfaces pays for it).
  const unread = removedWithUnreadSettings(validation.merged);
  if (unread.length) {
    before = await backend.read({ settingsOf: [...(scope.settingsOf ?? []), ...unread] });
    validation = validate(desired, staticView(before), options.validation);
  }
  const merged = validation.merged;
  return {
    desired,
    before,
    merged,
    operations: plan(merged),
    diff: diffStates(merged),
    issues: validation.issues,
    warnings: validation.issues.filter((i) => i.severity === "warning"),
  };
}

/** Interfaces the change removes whose per-interface switches (accept_ra, forwarding, address generation) were not read. */
function removedWithUnreadSettings(merged: MergedState): string[] {
  const names: string[] = [];
  for (const m of merged.interfaces.values()) {
    if (m.current && m.merged.state === "absent" && m.current.ipv6 && m.current.ipv6["accept-ra"] === undefined) names.push(m.name);
  }
  return names;
}

/** The invalid-input (or unsupported) error for a prepared change's issues, if they forbid it. */
function invalidError(prepared: PreparedChange, strict: boolean | undefined): NodenetError | undefined {
  const invalid = strict ? prepared.issues : prepared.issues.filter((i) => i.severity === "error");
  if (!hasErrors(invalid) && !(strict && invalid.length)) return undefined;
  const unsupported = invalid.length > 0 && invalid.every((i) => i.kind === "unsupported");
  const lines = invalid.map((i) => `  ${formatIssue(i)}`);
  return new NodenetError(unsupported ? "unsupported" : "invalid-input", `the desired state is invalid:\n${boundedList(lines, { max: 10, separator: "\n" })}`, { issues: invalid, details: lines.map((l) => l.trim()) });
}

/** Read → validate → plan → checkpoint → execute → verify → probe → commit, or roll back. */
export async function applyState(backend: HostBackend, desired: NetworkState, options: ApplyOptions = {}): Promise<ApplyResult> {
  const lock = lockTarget(backend);
  try {
    const pending = readCheckpoint(backend.checkpointDir);
    if (pending && !options.dryRun) throw pendingError(backend, pending);
    return await commitLocked(backend, await prepare(backend, desired, options.validation ? { validation: options.validation } : {}), options);
  } finally {
    lock.release();
  }
}

/**
 * Carries out a prepared change (see applyState). The plan is the one
 * prepared: a host changed by someone else since is caught by verification
 * and rolled back, so prepare shortly before committing.
 */
export async function commit(backend: HostBackend, prepared: PreparedChange, options: ApplyOptions = {}): Promise<ApplyResult> {
  const lock = lockTarget(backend);
  try {
    const pending = readCheckpoint(backend.checkpointDir);
    if (pending && !options.dryRun) throw pendingError(backend, pending);
    return await commitLocked(backend, prepared, options);
  } finally {
    lock.release();
  }
}

async function commitLocked(backend: HostBackend, prepared: PreparedChange, options: ApplyOptions): Promise<ApplyResult> {
  const emit = options.onEvent ?? (() => undefined);
  const { desired, before, merged, operations, diff, warnings } = prepared;
  const invalid = invalidError(prepared, options.strict);
  if (invalid) throw invalid;
  emit({ type: "validated", warnings });
  emit({ type: "planned", operations, diff });
  const result: ApplyResult = { changed: operations.length > 0, operations, diff, warnings, probes: [] };
  if (options.dryRun) return result;
  const runProbes = options.runProbes ?? runProbesInTarget;
  const persist = () => {
    if (options.persist === false) return;
    const warning = persistCommitted(backend, desired);
    if (warning) emit({ type: "record-warning", detail: warning });
  };
  if (!operations.length) {
    // Nothing to write; still prove the host holds what was declared.
    if (options.verify !== false) {
      const mismatches = verifyState(merged, before.state);
      if (mismatches.length) {
        const lines = mismatches.map((m) => `  ${formatMismatch(m)}`);
        throw new NodenetError("verification-failed", `the host differs from the desired state in ways nodenet cannot change:\n${boundedList(lines, { max: 10, separator: "\n" })}`, { details: lines.map((l) => l.trim()) });
      }
    }
    // Already on the host, and now declared: a reboot must bring it back too.
    persist();
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
    ...(options.persist === false ? { memoryOnly: true } : {}),
    ...(backend.netns ? { netns: backend.netns } : {}),
    ...(backend.identity ? { netnsIdentity: backend.identity } : {}),
    ...(backend.routeListing ? { routesBefore: await backend.routeListing() } : {}),
  });
  // Probes that already fail are not held against the change.
  const baselineTargets = options.probes ? probeTargets(before.state, before.state, options.probes) : [];
  const baselinePromise = runProbes(backend.netns, baselineTargets.map((t) => ({ ...t, timeoutMs: 1500 })), { attempts: 2 });
  // The watchdog first, waiting for the checkpoint: a kill -9 at any point leaves no checkpoint without one.
  const watchdogPid = backend.startWatchdog?.(checkpoint.id, { applierPid: process.pid });
  if (watchdogPid) {
    checkpoint.watchdogPid = watchdogPid;
    const ticks = processStartTicks(watchdogPid);
    if (ticks !== undefined) checkpoint.watchdogStartTicks = ticks;
  }
  try {
    writeCheckpoint(backend.checkpointDir, checkpoint);
  } catch (error) {
    stopWatchdog(watchdogPid, checkpoint.id);
    throw new NodenetError((error as NodenetError).kind ?? "backend-failed", `${(error as Error).message}; nothing was changed`, { cause: error });
  }
  emit({ type: "checkpoint", id: checkpoint.id, deadline: checkpoint.deadline });
  const baseline = await baselinePromise;

  const fail = async (error: NodenetError | Error, reason: string): Promise<never> => {
    emit({ type: "rolling-back", reason });
    const started = Date.now();
    try {
      await rollbackCheckpoint(backend, checkpoint);
    } catch (rollbackError) {
      const gone = backend.targetGone?.();
      if (gone) throw new NodenetError("backend-failed", `${gone} while the change was applied (${reason}); nothing is left to roll back`, { cause: error });
      // Both matter: what went wrong, and that the host could not be restored.
      throw new NodenetError("rollback-failed", `${reason}\n${(rollbackError as Error).message}`, { cause: error });
    }
    const outcome = await describeRestored(backend, checkpoint);
    emit({ type: "rolled-back", ms: Date.now() - started, outcome });
    if (error instanceof NodenetError) throw new NodenetError(error.kind, `${error.message}; rolled back, ${outcome}`, { restored: true, cause: error.cause, issues: error.issues, details: error.details });
    throw new NodenetError("backend-failed", `${reason}; rolled back, ${outcome}`, { restored: true, cause: error });
  };

  let started = Date.now();
  try {
    await backend.execute(operations);
  } catch (error) {
    const detail = error instanceof ExecuteError ? `operation ${error.index + 1}/${operations.length} failed: ${error.message}` : `applying failed: ${(error as Error).message}`;
    // A DHCP server that does not answer is a connectivity failure, not a kernel hiccup worth retrying.
    const kind =
      error instanceof ExecuteError && error.unsupported ? "unsupported"
      : error instanceof ExecuteError && (error.cause as Error | undefined)?.name === "LeaseTimeoutError" ? "probe-failed"
      : "backend-failed";
    return await fail(new NodenetError(kind, detail, { cause: error }), detail);
  }
  emit({ type: "executed", operations: operations.length, ms: Date.now() - started });

  let after = before;
  if (options.verify !== false) {
    started = Date.now();
    const verified = await verifyWithRetries(backend, merged).catch((error: Error) => fail(error, `reading the host back failed: ${error.message}`));
    after = verified.after;
    if (verified.mismatches.length) {
      const all = verified.mismatches.map(formatMismatch);
      const detail = `verification failed: ${boundedList(all)}`;
      return await fail(new NodenetError("verification-failed", detail, { details: all }), detail);
    }
    emit({ type: "verified", attempts: verified.attempts, ms: Date.now() - started });
  } else {
    after = await backend.read(readScopeFor(desired)).catch((error: Error) => fail(error, `reading the host back failed: ${error.message}`));
  }

  if (options.probes) {
    started = Date.now();
    after = await awaitLearnedDns(backend, readScopeFor(desired), before, after, options.probes);
    const failingBefore = new Set(baseline.filter((r) => !r.ok).map((r) => describeTarget(r.target)));
    const targets = probeTargets(before.state, after.state, options.probes).filter((t) => {
      const skip = t.kind !== "gateway-missing" && t.kind !== "dns-missing" && failingBefore.has(describeTarget(t));
      if (skip) emit({ type: "probe-skipped", target: describeTarget(t), detail: "it already failed before the change" });
      return !skip;
    });
    const results = await runProbes(backend.netns, targets, { failFast: true });
    result.probes = results;
    emit({ type: "probed", results, ms: Date.now() - started });
    const failed = results.filter((r) => !r.ok);
    if (failed.length) {
      const all = failed.map(describeFailure);
      const detail = boundedList(all);
      return await fail(new NodenetError("probe-failed", detail, { details: all }), detail);
    }
  }

  if (options.commit === false) {
    result.checkpoint = checkpoint.id;
    emit({ type: "pending", id: checkpoint.id, deadline: checkpoint.deadline! });
    return result;
  }
  try {
    removeCheckpoint(backend.checkpointDir, checkpoint.id);
  } catch (error) {
    // The change holds but cannot be kept: the watchdog rolls it back at its deadline, as it would after a crash.
    throw new NodenetError("backend-failed", `the change was applied and verified but cannot be committed: ${(error as Error).message}; it is rolled back at ${new Date(checkpoint.deadline!).toISOString()}`, { cause: error });
  }
  stopWatchdog(checkpoint.watchdogPid, checkpoint.id);
  emit({ type: "committed" });
  persist();
  return result;
}

