/** Human-readable renderings of diffs and plans. */
import type { HostBackend } from "../host/backend.ts";
import type { Operation } from "../state/plan/operations.ts";

export { renderDiff, routeText, ruleText } from "../state/diff-text.ts";

/** The plan as the backend that would run it describes each step. */
export function renderPlan(backend: Pick<HostBackend, "describe">, ops: readonly Operation[]): string {
  return ops.map((op, i) => `  ${String(i + 1).padStart(3)}. ${backend.describe(op)}`).join("\n");
}
