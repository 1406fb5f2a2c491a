/**
 * From files to one typed desired state: read every document, render policy
 * documents' captures against the current state, parse, and combine. Every
 * problem comes back with its file:line:column; nothing here touches a host.
 */
import { CaptureError, formatCaptureIssue, renderPolicy } from "./capture/index.ts";
import { findPlacementTemplates } from "./pools/templates.ts";
import { combineStates } from "./combine.ts";
import { hasErrors, invalid, prefixIssues, type Issue, type IssuePath } from "./issues.ts";
import { locate, parseState, readStateFile, type SourceDocument } from "./parse/index.ts";
import type { NetworkState } from "./schema/state.ts";

export interface SourceFile {
  file: string;
  text: string;
}

export interface LoadResult {
  /** Present when there are no errors. */
  state?: NetworkState;
  issues: Issue[];
  /** With errors: what parsed once the fields at fault were left out (for reporting further problems; never applied). */
  partial?: NetworkState;
  /**
   * Maps issues about the combined state (from validate) back to the document,
   * path and line they come from.
   */
  relocate(issues: readonly Issue[]): Issue[];
  /** Captured states of policy documents, by capture name (for enactment status and re-use). */
  captured: Record<string, unknown>;
}

export interface LoadOptions {
  /** The host's current state as a plain object; needed only when a document uses capture. */
  current?: () => unknown;
  /** Previously captured states to reuse instead of evaluating (kubernetes-nmstate semantics). */
  captureCache?: Record<string, unknown>;
}

export function loadDesired(files: readonly SourceFile[], options: LoadOptions = {}): LoadResult {
  const issues: Issue[] = [];
  const states: NetworkState[] = [];
  const partials: NetworkState[] = [];
  const parts: Part[] = [];
  const captured: Record<string, unknown> = {};
  for (const { file, text } of files) {
    const read = readStateFile(text, file);
    issues.push(...read.issues);
    for (const { envelope, document } of read.envelopes) {
      let value: unknown;
      if (envelope.kind === "policy") {
        const perNode = findPlacementTemplates(envelope.desiredState).uses[0];
        if (perNode) {
          const hint = "kubectl apply --dry-run=server -f FILE checks it as each selected node renders it";
          issues.push(...locate(document, [invalid([...envelope.path, ...perNode.path], "a {{ pool.… }} or {{ node.… }} template is filled in per node by the cluster (its address pools, the node's labels); a single host cannot render it", hint)]));
          continue;
        }
        if (Object.keys(envelope.capture).length && !options.current) {
          issues.push(...locate(document, [invalid(envelope.capturePath, "this policy uses capture, which needs the current state of a host")]));
          continue;
        }
        try {
          const rendered = renderPolicy({ capture: envelope.capture, desiredState: envelope.desiredState }, options.current?.() ?? {}, options.captureCache);
          value = rendered.desiredState;
          Object.assign(captured, rendered.captured);
        } catch (error) {
          if (!(error instanceof CaptureError)) throw error;
          for (const issue of error.issues) {
            const path = issue.capture ? [...envelope.capturePath, issue.capture] : [...envelope.path, ...(issue.path ?? [])];
            issues.push(...locate(document, [invalid(path, formatCaptureIssue(issue))]));
          }
          continue;
        }
      } else {
        value = envelope.state;
      }
      const parsed = parseState(value);
      issues.push(...locate(document, prefixIssues(envelope.path, parsed.issues)));
      if (parsed.state) states.push(parsed.state);
      const usable = parsed.state ?? parsed.partial;
      if (usable) {
        partials.push(usable);
        parts.push({ document, prefix: envelope.path, state: usable });
      }
    }
  }
  const relocate = (found: readonly Issue[]) => found.map((issue) => relocateIssue(parts, issue));
  if (hasErrors(issues)) return { issues, captured, relocate, ...(partials.length ? { partial: combineStates(partials) } : {}) };
  return { state: combineStates(states), issues, captured, relocate };
}

interface Part {
  document: SourceDocument;
  prefix: IssuePath;
  state: NetworkState;
}

/** Lists concatenated by combineStates, by their path in a state. */
const LISTS: [IssuePath, (s: NetworkState) => unknown[] | undefined][] = [
  [["interfaces"], (s) => s.interfaces],
  [["routes", "config"], (s) => s.routes?.config],
  [["route-rules", "config"], (s) => s["route-rules"]?.config],
];

function relocateIssue(parts: readonly Part[], issue: Issue): Issue {
  if (issue.source || !parts.length) return issue;
  const at = (part: Part, path: IssuePath): Issue => {
    const full = [...part.prefix, ...path];
    const source = part.document.locate(full);
    return { ...issue, path: full, ...(source ? { source } : {}) };
  };
  for (const [listPath, list] of LISTS) {
    const n = listPath.length;
    if (listPath.every((segment, i) => issue.path[i] === segment) && typeof issue.path[n] === "number") {
      let index = issue.path[n] as number;
      for (const part of parts) {
        const length = list(part.state)?.length ?? 0;
        if (index < length) return at(part, [...listPath, index, ...issue.path.slice(n + 1)]);
        index -= length;
      }
      return issue;
    }
  }
  // DNS and hostname come from the last document that sets them; the rest from the first.
  const key = issue.path[0];
  const owner = [...parts].reverse().find((p) => key !== undefined && (p.state as Record<string, unknown>)[String(key)] !== undefined) ?? parts[0]!;
  return at(owner, issue.path);
}
