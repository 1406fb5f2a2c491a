/**
 * Policy preview: what a policy would change on each node it selects,
 * touching nothing. The same steps as `nodenet diff` on that node — the
 * document loaded (captures rendered against the node's reported state),
 * validated against that state, merged, diffed and rendered — with the
 * node's NodeNetworkState standing in for the host. Pure.
 */
import { parseAllDocuments } from "yaml";
import { readNodeState } from "../cluster/admission/node-states.ts";
import { selects } from "../cluster/handler/selection.ts";
import type { NodeState } from "../cluster/api/node-state.ts";
import type { Node } from "../cluster/kube/nodes.ts";
import { diffStates } from "../state/diff.ts";
import { renderDiff } from "../state/diff-text.ts";
import { formatIssue, hasErrors, type Issue } from "../state/issues.ts";
import { loadDesired } from "../state/load.ts";
import { validate } from "../state/validate/index.ts";

export interface PreviewIssue {
  severity: string;
  text: string;
}

export type NodePreview =
  | { node: string; outcome: "diff"; issues: PreviewIssue[]; diff: string; changes: number }
  | { node: string; outcome: "invalid"; issues: PreviewIssue[] }
  | { node: string; outcome: "no-state"; reason: string };

export interface Preview {
  /** Problems of the document itself (it does not parse, it selects no node). */
  issues: PreviewIssue[];
  nodeSelector: Record<string, string>;
  nodes: NodePreview[];
}

/** Past this a pasted document is refused: a policy is kilobytes. */
export const MAX_PREVIEW_BYTES = 1 << 20;

const shown = (issues: readonly Issue[]): PreviewIssue[] => issues.map((issue) => ({ severity: issue.severity, text: formatIssue(issue) }));

/** The nodeSelector of the first NodeNetworkConfigurationPolicy document; a bare nmstate state selects every node. */
function selectorOf(text: string): { selector: Record<string, string> } | { error: string } {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return { selector: {} };
  for (const document of documents) {
    if (document.errors.length) return { error: `the document does not parse: ${document.errors[0]!.message}` };
    const value = document.toJS() as { kind?: unknown; spec?: { nodeSelector?: unknown } } | null;
    if (value?.kind !== "NodeNetworkConfigurationPolicy") continue;
    const selector = value.spec?.nodeSelector ?? {};
    if (typeof selector !== "object" || selector === null || Array.isArray(selector) || Object.values(selector).some((v) => typeof v !== "string")) {
      return { error: "spec.nodeSelector: must map label names to string values" };
    }
    return { selector: selector as Record<string, string> };
  }
  return { selector: {} };
}

export function previewPolicy(text: string, nodes: readonly Node[], states: readonly NodeState[], file = "preview"): Preview {
  if (Buffer.byteLength(text) > MAX_PREVIEW_BYTES) return { issues: [{ severity: "error", text: `the document is over ${MAX_PREVIEW_BYTES} bytes` }], nodeSelector: {}, nodes: [] };
  const selected = selectorOf(text);
  if ("error" in selected) return { issues: [{ severity: "error", text: selected.error }], nodeSelector: {}, nodes: [] };
  const stateOf = new Map(states.map((s) => [s.metadata.name, s]));
  const matching = nodes
    .filter((n) => selects(selected.selector, n.metadata.labels ?? {}))
    .map((n) => n.metadata.name)
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const result: Preview = { issues: [], nodeSelector: selected.selector, nodes: [] };
  if (!matching.length) result.issues.push({ severity: "warning", text: "the policy selects no node" });
  for (const node of matching) {
    const current = readNodeState(stateOf.get(node)?.status?.currentState);
    if (!current) {
      result.nodes.push({ node, outcome: "no-state", reason: "the node has not reported a NodeNetworkState" });
      continue;
    }
    if (!current.readable) {
      result.nodes.push({ node, outcome: "no-state", reason: current.reason });
      continue;
    }
    const loaded = loadDesired([{ file, text }], { current: () => current.raw });
    const issues = [...loaded.issues];
    const validation = loaded.state ? validate(loaded.state, current.parsed) : undefined;
    if (validation) issues.push(...loaded.relocate(validation.issues));
    if (!validation || hasErrors(issues)) {
      result.nodes.push({ node, outcome: "invalid", issues: shown(issues) });
      continue;
    }
    const diff = diffStates(validation.merged);
    const changes = diff.interfaces.length + diff.routes.add.length + diff.routes.remove.length + diff.rules.add.length + diff.rules.remove.length + (diff.dns ? 1 : 0) + (diff.hostname ? 1 : 0);
    result.nodes.push({ node, outcome: "diff", issues: shown(issues), diff: renderDiff(diff), changes });
  }
  return result;
}
