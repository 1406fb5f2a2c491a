/**
 * An enactment's conditions as upstream writes them: all five types on every
 * change, exactly one of them True, with upstream's reasons — so `kubectl get
 * nnce` and tools built for kubernetes-nmstate read them correctly.
 */
import type { Condition } from "../api/meta.ts";
import type { EnactmentConditionReason, EnactmentConditionType } from "../api/enactment.ts";
import { setConditions, type ConditionUpdate } from "../kube/conditions.ts";

export type EnactmentPhase =
  /** `reason` overrides upstream's MaxUnavailableLimitReached when waiting for something else (another policy). */
  | { phase: "Pending"; message: string; reason?: string }
  | { phase: "Progressing"; message: string }
  | { phase: "Available"; message: string }
  /** `reason` overrides FailedToConfigure when nothing was tried: `Conflict` (an older policy wins a field). */
  | { phase: "Failing"; message: string; reason?: string }
  | { phase: "Aborted"; message: string };

const REASON: Record<EnactmentConditionType, EnactmentConditionReason> = {
  Pending: "MaxUnavailableLimitReached",
  Progressing: "ConfigurationProgressing",
  Available: "SuccessfullyConfigured",
  Failing: "FailedToConfigure",
  Aborted: "ConfigurationAborted",
};

const TYPES: EnactmentConditionType[] = ["Failing", "Available", "Progressing", "Pending", "Aborted"];

export function enactmentConditions(previous: readonly Condition[] | undefined, phase: EnactmentPhase, now = new Date()): Condition[] {
  const reason = ("reason" in phase && phase.reason) || REASON[phase.phase];
  const updates: ConditionUpdate[] = TYPES.map((type) =>
    type === phase.phase ? { type, status: "True", reason, message: phase.message } : { type, status: "False", reason, message: "" },
  );
  return setConditions(previous, updates, now);
}

/** The True condition's type, if any. */
export function currentPhase(conditions: readonly Condition[] | undefined): EnactmentConditionType | undefined {
  return conditions?.find((c) => c.status === "True" && (TYPES as string[]).includes(c.type))?.type as EnactmentConditionType | undefined;
}
