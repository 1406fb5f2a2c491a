/**
 * A policy's desired state for this node: captures evaluated against the
 * node's live state (or reused from the enactment when the policy generation
 * is the same, as upstream does, so a re-apply means the same thing), then
 * parsed into a typed state. Problems come back as one message for the
 * enactment's Failing condition.
 */
import { CaptureError, formatCaptureIssue, renderPolicy } from "../../state/capture/index.ts";
import { formatIssue, hasErrors, prefixIssues } from "../../state/issues.ts";
import { parseState } from "../../state/parse/index.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import type { Policy } from "../api/policy.ts";
import type { Enactment } from "../api/enactment.ts";
import { kubeTime } from "../kube/conditions.ts";
import { renderPlacement, type PlacementValues } from "../../state/pools/templates.ts";

export type Rendered =
  | { ok: true; desired: NetworkState; rendered: unknown; capturedStates: Record<string, { state: Record<string, unknown>; metaInfo: { time: string; version: string } }> }
  | { ok: false; message: string };

/** `placement`: the node's values for `{{ pool.… }}` / `{{ node.… }}` templates, filled in before captures. */
export function renderForNode(policy: Policy, enactment: Enactment | undefined, current: unknown, version: string, placement?: PlacementValues): Rendered {
  const generation = policy.metadata.generation ?? 1;
  const capture = policy.spec?.capture ?? {};
  const reuse = enactment?.status?.policyGeneration === generation ? enactment.status?.capturedStates : undefined;
  const cache = reuse ? Object.fromEntries(Object.entries(reuse).map(([name, c]) => [name, c.state ?? {}])) : undefined;
  let rendered: unknown;
  let captured: Record<string, unknown> = {};
  let template: unknown = policy.spec?.desiredState ?? {};
  if (placement) {
    const placed = renderPlacement(template, placement);
    if (!placed.ok) return { ok: false, message: `the desired state's templates cannot be filled in for ${placement.node.name}: ${prefixIssues(["spec", "desiredState"], placed.issues).map(formatIssue).join("; ")}` };
    template = placed.value;
  }
  try {
    const result = renderPolicy({ capture, desiredState: template }, current, cache);
    rendered = result.desiredState;
    captured = result.captured;
  } catch (error) {
    if (error instanceof CaptureError) return { ok: false, message: `failure generating desiredState and capturedStates: ${error.issues.map(formatCaptureIssue).join("; ")}` };
    throw error;
  }
  const parsed = parseState(rendered);
  if (!parsed.state || hasErrors(parsed.issues)) {
    const issues = prefixIssues(["spec", "desiredState"], parsed.issues.filter((i) => i.severity === "error"));
    return { ok: false, message: `the desired state is invalid: ${issues.map(formatIssue).join("; ")}` };
  }
  const time = kubeTime(new Date());
  const capturedStates = Object.fromEntries(
    Object.entries(captured).map(([name, state]) => [name, { state: (state ?? {}) as Record<string, unknown>, metaInfo: { time, version } }]),
  );
  return { ok: true, desired: parsed.state, rendered, capturedStates };
}
