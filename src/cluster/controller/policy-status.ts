/**
 * A policy's status from its enactments, with upstream's conditions, reasons
 * and messages ("2/3 nodes successfully configured", "1/3 nodes failed to
 * configure, 2 nodes aborted configuration"). Pure: the controller gathers
 * the inputs and writes the result only when it differs.
 *
 * Only nodes that run a handler (they report a NodeNetworkState) count, and
 * progress is measured against the Ready ones, as upstream does.
 */
import type { Condition } from "../api/meta.ts";
import type { Enactment } from "../api/enactment.ts";
import type { Policy, PolicyConditionReason, PolicyConditionType } from "../api/policy.ts";
import { setConditions, type ConditionUpdate } from "../kube/conditions.ts";
import { currentPhase } from "../handler/enactment-conditions.ts";

export interface NodeFacts {
  name: string;
  ready: boolean;
  /** The node runs a handler (it has a NodeNetworkState). */
  handled: boolean;
  labels: Record<string, string>;
}

export interface PolicyCounts {
  matching: number;
  ready: number;
  available: number;
  failing: number;
  aborted: number;
  pending: number;
  progressing: number;
}

export function countPolicy(policy: Policy, nodes: readonly NodeFacts[], enactments: readonly Enactment[], selects: (selector: Record<string, string> | undefined, labels: Record<string, string>) => boolean): PolicyCounts {
  const generation = policy.metadata.generation ?? 1;
  const matching = nodes.filter((n) => n.handled && selects(policy.spec?.nodeSelector, n.labels));
  const names = new Set(matching.map((n) => n.name));
  const counts: PolicyCounts = { matching: matching.length, ready: matching.filter((n) => n.ready).length, available: 0, failing: 0, aborted: 0, pending: 0, progressing: 0 };
  for (const e of enactments) {
    const node = e.metadata.labels?.["nmstate.io/node"];
    if (!node || !names.has(node) || e.status?.policyGeneration !== generation) continue;
    switch (currentPhase(e.status?.conditions)) {
      case "Available":
        counts.available++;
        break;
      case "Failing":
        counts.failing++;
        break;
      case "Aborted":
        counts.aborted++;
        break;
      case "Pending":
        counts.pending++;
        break;
      case "Progressing":
        counts.progressing++;
        break;
    }
  }
  return counts;
}

type Verdict = { true: PolicyConditionType; reason: PolicyConditionReason; message: string };

export function policyVerdict(c: PolicyCounts): Verdict {
  const notReady = c.matching - c.ready;
  const notReadyNote = notReady > 0 ? `, ${notReady} nodes ignored due to NotReady state` : "";
  const finished = c.available + c.failing + c.aborted;
  if (c.matching === 0) return { true: "Ignored", reason: "NoMatchingNode", message: "Policy does not match any node" };
  if (c.failing > 0 || c.aborted > 0) {
    return {
      true: "Degraded",
      reason: "FailedToConfigure",
      message: `${c.failing}/${c.matching} nodes failed to configure${c.aborted > 0 ? `, ${c.aborted} nodes aborted configuration` : ""}`,
    };
  }
  if (finished < c.ready) return { true: "Progressing", reason: "ConfigurationProgressing", message: `Policy is progressing ${finished}/${c.ready} nodes finished${notReadyNote}` };
  if (c.pending > 0) return { true: "Progressing", reason: "ConfigurationProgressing", message: `Policy is progressing ${finished}/${c.ready} nodes finished, ${c.pending} pending${notReadyNote}` };
  return { true: "Available", reason: "SuccessfullyConfigured", message: `${c.available}/${c.matching} nodes successfully configured${notReadyNote}` };
}

/** All four condition types, upstream's way: the verdict True, the others False (Unknown while progressing). */
export function policyConditions(previous: readonly Condition[] | undefined, verdict: Verdict, now = new Date()): Condition[] {
  const others: PolicyConditionType[] = ["Available", "Degraded", "Progressing", "Ignored"];
  const updates: ConditionUpdate[] = others.map((type) => {
    if (type === verdict.true) return { type, status: "True", reason: verdict.reason, message: verdict.message };
    const unknown = verdict.true === "Progressing" && (type === "Available" || type === "Degraded");
    return { type, status: unknown ? "Unknown" : "False", reason: verdict.reason, message: "" };
  });
  return setConditions(previous, updates, now);
}
