/**
 * From files to one typed desired state: read every document, render policy
 * documents' captures against the current state, parse, and combine. Every
 * problem comes back with its file:line:column; nothing here touches a host.
 */
import { CaptureError, formatCaptureIssue, renderPolicy } from "./capture/index.ts";
import { combineStates } from "./combine.ts";
import { hasErrors, invalid, prefixIssues, type Issue } from "./issues.ts";
import { locate, parseState, readStateFile } from "./parse/index.ts";
import type { NetworkState } from "./schema/state.ts";

export interface SourceFile {
  file: string;
  text: string;
}

export interface LoadResult {
  /** Present when there are no errors. */
  state?: NetworkState;
  issues: Issue[];
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
  const captured: Record<string, unknown> = {};
  for (const { file, text } of files) {
    const read = readStateFile(text, file);
    issues.push(...read.issues);
    for (const { envelope, document } of read.envelopes) {
      let value: unknown;
      if (envelope.kind === "policy") {
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
    }
  }
  if (hasErrors(issues)) return { issues, captured };
  return { state: combineStates(states), issues, captured };
}
