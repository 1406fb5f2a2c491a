/** Human-readable renderings of diffs and plans. */
import { describe, type Operation } from "../state/plan/operations.ts";

export { renderDiff, routeText, ruleText } from "../state/diff-text.ts";

export function renderPlan(ops: readonly Operation[]): string {
  return ops.map((op, i) => `  ${String(i + 1).padStart(3)}. ${describe(op)}`).join("\n");
}
