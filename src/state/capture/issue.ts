/**
 * Capture problems as data, rendered separately. An issue names the capture
 * (or the place in desiredState) it belongs to and, when it comes from an
 * expression, the expression and the offset of the bad spot so a caret can
 * be drawn under it.
 */
import { formatPath } from "../issues.ts";

export type CaptureIssueCode =
  /** The expression or template does not follow the grammar. */
  | "syntax"
  /** `capture.NAME` names no capture of the policy. */
  | "unknown-capture"
  /** Captures that depend on each other in a circle. */
  | "cycle"
  /** A `capture.NAME.path` reference that leads to no value. */
  | "missing-value"
  /** The state does not have the shape the expression walks through. */
  | "invalid-path"
  /** `{{ capture... }}` mixed into a longer string. */
  | "embedded-template"
  /** The current state or a cached captured state is not an object. */
  | "invalid-input";

/** Adds `hint` when there is one (the field stays absent otherwise). */
export function withHint<T extends object>(issue: T, hint: string | undefined): T & { hint?: string } {
  return hint === undefined ? issue : { ...issue, hint };
}

export interface CaptureIssue {
  code: CaptureIssueCode;
  /** The capture whose expression has the problem. */
  capture?: string;
  message: string;
  /** How to fix it, when we can say. */
  hint?: string;
  /** 0-based offset into `expression`. */
  position?: number;
  /** The capture expression or the desiredState string the problem is in. */
  expression?: string;
  /** Where in desiredState, for template problems. */
  path?: (string | number)[];
}

export class CaptureError extends Error {
  readonly issues: CaptureIssue[];

  constructor(issues: CaptureIssue[]) {
    super(issues.map(formatCaptureIssue).join("\n"));
    this.name = "CaptureError";
    this.issues = issues;
  }
}

/**
 * One issue as text: a header naming the capture or the desiredState path,
 * then, when the issue points into an expression, that line of the
 * expression with a caret under the bad spot:
 *
 *     capture.base-iface: unexpected '=' at 16 (use '==' to filter or ':=' to replace)
 *         interfaces.name = "eth0"
 *                         ^
 */
export function formatCaptureIssue(issue: CaptureIssue): string {
  const where = issueLocation(issue);
  const hint = issue.hint === undefined ? "" : ` (${issue.hint})`;
  const expression = issue.expression;
  if (expression === undefined || issue.position === undefined) {
    return `${where}${issue.message}${hint}`;
  }
  const position = Math.max(0, Math.min(issue.position, expression.length));
  const lineStart = expression.lastIndexOf("\n", position - 1) + 1;
  const lineEndIndex = expression.indexOf("\n", position);
  const lineEnd = lineEndIndex === -1 ? expression.length : lineEndIndex;
  const line = expression.slice(lineStart, lineEnd);
  const column = position - lineStart;
  const multiline = expression.includes("\n");
  const at = multiline ? `line ${countLines(expression, lineStart)}, column ${column + 1}` : `${position}`;
  const indent = "    ";
  // Tabs keep their width in the caret line so the caret stays aligned.
  const pad = line.slice(0, column).replace(/[^\t]/g, " ");
  return `${where}${issue.message} at ${at}${hint}\n${indent}${line}\n${indent}${pad}^`;
}

function issueLocation(issue: CaptureIssue): string {
  if (issue.path !== undefined) {
    return issue.path.length === 0 ? "desiredState: " : `desiredState.${formatPath(issue.path)}: `;
  }
  if (issue.capture !== undefined) return `capture.${issue.capture}: `;
  return "";
}

function countLines(text: string, upTo: number): number {
  let lines = 1;
  for (let i = 0; i < upTo; i++) if (text[i] === "\n") lines++;
  return lines;
}
