/**
 * nmpolicy "capture": named expressions evaluated against the current network
 * state, and `"{{ capture.NAME.path }}"` templates in a desired state filled
 * from their results. Pure functions over plain JSON values; see parser.ts
 * for the grammar and operations.ts for what filters and replaces do.
 */
import { evaluateCaptures } from "./evaluate.ts";
import { renderTemplates } from "./template.ts";

export { CaptureError, formatCaptureIssue, type CaptureIssue, type CaptureIssueCode } from "./issue.ts";
export { evaluateCaptures } from "./evaluate.ts";
export { renderTemplates } from "./template.ts";

export interface CapturePolicy {
  capture?: Record<string, string>;
  desiredState: unknown;
}

export interface RenderedPolicy {
  /** The desired state with every template filled in. */
  desiredState: unknown;
  /** Every capture's state, cached ones included: what an enactment stores to re-render later. */
  captured: Record<string, unknown>;
}

/**
 * Evaluates the captures (taking those in `cache` from there) and renders the
 * desired state with them. Throws CaptureError listing every problem found
 * in the stage that failed: captures first, then templates.
 */
export function renderPolicy(policy: CapturePolicy, current: unknown, cache?: Record<string, unknown>): RenderedPolicy {
  const expressions = policy.capture ?? {};
  const captured = evaluateCaptures(expressions, current, cache);
  const desiredState = renderTemplates(policy.desiredState, captured, expressions);
  return { desiredState, captured };
}
