/**
 * A policy check rendered for the API server: the denial message `kubectl
 * apply` prints (one line per problem, each with the field path and the
 * nodes it would break) and the admission warnings (validation warnings and
 * what could not be checked). Pure.
 *
 * The API server cuts every warning to 256 characters once all of a
 * response's warnings exceed 4096; so each warning is kept under
 * WARNING_CHARS and all of them under WARNINGS_TOTAL_CHARS, the last one
 * counting what was left out.
 */
import { formatIssue, formatPath, type Issue } from "../../state/issues.ts";
import type { Finding, PolicyCheck } from "./check.ts";

export const WARNING_CHARS = 512;
export const WARNINGS_TOTAL_CHARS = 3_800;
/** Past this, the denial message lists the first problems and counts the rest. */
export const MAX_MESSAGE_CHARS = 8_000;
const NODES_NAMED = 5;

/** `node-1`, `node-1 and node-2`, `node-1, node-2 and node-3`, `node-1, …, node-5 and 12 more`. */
export function describeNodes(nodes: readonly string[], named = NODES_NAMED): string {
  if (nodes.length <= 1) return nodes[0] ?? "";
  if (nodes.length <= named) return `${nodes.slice(0, -1).join(", ")} and ${nodes.at(-1)}`;
  return `${nodes.slice(0, named).join(", ")} and ${nodes.length - named} more`;
}

const onNodes = (finding: Finding) => (finding.nodes.length ? ` (on ${describeNodes(finding.nodes)})` : "");

/**
 * One problem as `nodenet validate` prints it, without file and line (a
 * request has none), and the nodes it would break after its first line
 * (capture problems carry an expression with a caret on further lines).
 */
export function findingLine(finding: Finding): string {
  const [first = "", ...rest] = formatIssue(finding.issue).split("\n");
  return [`${first}${onNodes(finding)}`, ...rest].join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** What the check covered, e.g. `checked against the current state of node-1, node-2 and node-3`. */
function coverage(check: PolicyCheck): string {
  if (!check.checked.length) return "checked without a node: no selected node has reported its state";
  const of = check.checked.length === check.selected.length ? "" : ` (${check.checked.length} of ${check.selected.length} selected nodes)`;
  return `checked against the current state of ${describeNodes(check.checked)}${of}`;
}

/** The message of a denial: a summary line, then one line per error. */
export function denialMessage(policy: string, check: PolicyCheck): string {
  const errors = check.findings.filter((f) => f.issue.severity === "error");
  const broken = [...new Set(errors.flatMap((f) => f.nodes))];
  const what = broken.length ? `would break ${describeNodes(broken)}` : "is invalid";
  const head = `policy ${policy} ${what} (${plural(errors.length, "error")}; nothing was applied; ${coverage(check)}):`;
  const lines: string[] = [head];
  let length = head.length;
  for (const [i, finding] of errors.entries()) {
    const line = findingLine(finding);
    if (length + line.length > MAX_MESSAGE_CHARS && i > 0) {
      lines.push(`… and ${plural(errors.length - i, "more error")}`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join("\n");
}

/** One line, at most `limit` characters: the hint goes first, then the message is cut. */
export function fitWarning(issue: Issue, suffix: string, limit = WARNING_CHARS): string {
  const path = formatPath(issue.path);
  const message = issue.message.split("\n")[0]!;
  const full = `${path}: ${message}${issue.hint ? ` (${issue.hint})` : ""}${suffix}`;
  if (full.length <= limit) return full;
  const bare = `${path}: ${message}${suffix}`;
  if (bare.length <= limit) return bare;
  const room = limit - path.length - 2 - suffix.length - 1;
  return room > 20 ? `${path}: ${message.slice(0, room)}…${suffix}` : `${bare.slice(0, limit - 1)}…`;
}

/** The notes about coverage: nodes not checked, and why. */
function coverageNotes(check: PolicyCheck): string[] {
  const notes: string[] = [];
  if (check.empty) notes.push("the policy has no spec.desiredState: it changes nothing");
  if (!check.selected.length) notes.push("the policy selects no node now; it will be checked on each node that matches later, before that node applies it");
  if (check.unreported.length) notes.push(`not checked on ${describeNodes(check.unreported)}: no NodeNetworkState yet (is its handler running?)`);
  for (const { node, reason } of check.unreadable) notes.push(`not checked on ${node}: its NodeNetworkState cannot be read (${reason})`);
  if (check.unchecked.length) notes.push(`not checked on ${describeNodes(check.unchecked)}: admission checks a bounded number of nodes in time; each node's handler validates again before applying`);
  if (check.usesCapture && !check.checked.length && check.selected.length) notes.push("the captures could not be tried on any node");
  return notes;
}

/** Admission warnings: validation warnings with their paths and nodes, then what was not checked. */
export function admissionWarnings(check: PolicyCheck): string[] {
  const lines = [
    ...check.findings.filter((f) => f.issue.severity === "warning").map((f) => fitWarning(f.issue, onNodes(f))),
    ...coverageNotes(check).map((note) => (note.length <= WARNING_CHARS ? note : `${note.slice(0, WARNING_CHARS - 1)}…`)),
  ];
  const out: string[] = [];
  let total = 0;
  for (const [i, line] of lines.entries()) {
    const rest = `… and ${plural(lines.length - i, "more warning")}`;
    if (total + line.length + (i < lines.length - 1 ? rest.length : 0) > WARNINGS_TOTAL_CHARS) {
      out.push(rest);
      break;
    }
    out.push(line);
    total += line.length;
  }
  return out;
}
