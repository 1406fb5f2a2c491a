/**
 * `nodenet boot`: declare the persisted record again after a reboot (ADR 0011).
 *
 * At boot there is no earlier good state to go back to, so boot differs from
 * apply in three ways: a part that fails is reported and the next part still
 * runs (management first, see state/boot-plan.ts); a NIC that is gone is
 * reported, not fatal; a probe that fails after the network is up is retried
 * and reported — nothing is rolled back for it. Each part itself still goes
 * through the transaction, so a part that cannot be applied whole leaves its
 * interfaces as the OS brought them up, never half-configured.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { NodenetError } from "../errors.ts";
import type { HostBackend } from "../host/backend.ts";
import { processAlive } from "../process-alive.ts";
import { probeTargets } from "../probe/targets.ts";
import { runProbes } from "../probe/runner.ts";
import { describeFailure, type ProbeResult, type ProbeSettings } from "../probe/types.ts";
import { planBoot } from "../state/boot-plan.ts";
import type { NetworkState } from "../state/schema/state.ts";
import { readCheckpoint } from "./checkpoint.ts";
import { readRecord } from "./persist.ts";
import { applyState } from "./transaction.ts";

export interface BootOptions {
  /** Probes once everything is applied; undefined runs none. */
  probes?: ProbeSettings;
  /** How many times a failing probe is tried again (a switch port may still be learning). */
  probeRetries?: number;
  retryDelayMs?: number;
  log: (line: string) => void;
}

export interface BootOutcome {
  file: string;
  /** No record yet: nothing nodenet declared, nothing to do. */
  empty: boolean;
  applied: string[];
  missing: { name: string; reason: string }[];
  failed: { part: string; error: string }[];
  probes: ProbeResult[];
}

/**
 * A checkpoint left from before the reboot reverts a kernel state that no
 * longer exists (/run is normally empty after a reboot; a lab node's is not):
 * the change it guarded was never committed, so it is dropped, not rolled back.
 */
function dropStaleCheckpoint(backend: HostBackend, log: (line: string) => void): void {
  const checkpoint = readCheckpoint(backend.checkpointDir);
  if (!checkpoint) return;
  if (processAlive(checkpoint.applyPid) && checkpoint.applyPid !== process.pid) {
    throw new NodenetError("checkpoint-pending", `a change is pending on ${backend.description} (nodenet apply, PID ${checkpoint.applyPid}, is running): boot runs at boot, not during a change`);
  }
  rmSync(join(backend.checkpointDir, "checkpoint.json"), { force: true });
  log(`dropped the uncommitted change of ${checkpoint.createdAt} from before the reboot (never committed, so not in the record)`);
}

export async function bootFromRecord(backend: HostBackend, options: BootOptions): Promise<BootOutcome> {
  const file = backend.recordFile;
  if (!file) throw new NodenetError("invalid-input", "boot needs a persisted record (give --record FILE)");
  const { log } = options;
  // A bad record stops everything here, before any change: the node keeps what the OS brought up.
  const record = readRecord(file);
  const outcome: BootOutcome = { file, empty: !record, applied: [], missing: [], failed: [], probes: [] };
  if (!record) {
    log(`no persisted record at ${file}: nothing nodenet declared here yet, nothing to apply`);
    return outcome;
  }
  dropStaleCheckpoint(backend, log);
  const before = await backend.read();
  const plan = planBoot(record, new Set((before.state.interfaces ?? []).map((i) => i.name)));
  outcome.missing = plan.missing;
  for (const m of plan.missing) log(`MISSING ${m.name}: ${m.reason}`);

  for (const part of plan.parts) {
    const error = await applyPart(backend, part.state);
    if (error) {
      outcome.failed.push({ part: part.label, error });
      log(`FAILED ${part.label}: ${error}`);
    } else {
      outcome.applied.push(part.label);
      log(`applied ${part.label}`);
    }
  }

  if (options.probes) outcome.probes = await probeUntilAnswered(backend, before.state, options);
  return outcome;
}

/** One part through the transaction, without probes (they run once, at the end) and without persisting (it is the record). */
async function applyPart(backend: HostBackend, state: NetworkState): Promise<string | undefined> {
  let last = "";
  // A DHCP server slower than the lease timeout (a probe failure) is worth a second try at boot, where no
  // rollout waits on the verdict; invalid input is not.
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await applyState(backend, state, { persist: false, timeoutSeconds: 120 });
      return undefined;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      if (!(error instanceof NodenetError) || !(error.retryable || error.kind === "probe-failed")) break;
    }
  }
  return last;
}

async function probeUntilAnswered(backend: HostBackend, before: NetworkState, options: BootOptions): Promise<ProbeResult[]> {
  const retries = options.probeRetries ?? 5;
  let results: ProbeResult[] = [];
  for (let attempt = 0; attempt <= retries; attempt++) {
    const after = (await backend.read()).state;
    results = await runProbes(backend.netns, probeTargets(before, after, options.probes!), {});
    const failed = results.filter((r) => !r.ok);
    if (!failed.length) {
      options.log(`probes answered: ${results.length}`);
      return results;
    }
    options.log(`probe failed (attempt ${attempt + 1}/${retries + 1}, nothing rolled back): ${failed.map(describeFailure).join("; ")}`);
    if (attempt < retries) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 2000));
  }
  return results;
}
