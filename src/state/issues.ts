/**
 * Problems found in a desired state, kept as data and rendered separately so
 * the CLI, the handler's conditions and the admission webhook all say the
 * same thing.
 */
export type PathSegment = string | number;
export type IssuePath = readonly PathSegment[];

export type IssueKind = "invalid" | "unsupported";
export type Severity = "error" | "warning";

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface Issue {
  severity: Severity;
  kind: IssueKind;
  path: IssuePath;
  message: string;
  /** How to fix it, when we can say. */
  hint?: string;
  /** Filled in by the parser when the document came from a file. */
  source?: SourceLocation;
}

export function invalid(path: IssuePath, message: string, hint?: string): Issue {
  return { severity: "error", kind: "invalid", path, message, ...(hint ? { hint } : {}) };
}

export function warning(path: IssuePath, message: string, hint?: string): Issue {
  return { severity: "warning", kind: "invalid", path, message, ...(hint ? { hint } : {}) };
}

export function unsupported(path: IssuePath, reason: string): Issue {
  return { severity: "error", kind: "unsupported", path, message: reason };
}

export const isError = (issue: Issue) => issue.severity === "error";
export const hasErrors = (issues: readonly Issue[]) => issues.some(isError);

/** `interfaces[2].ipv4.address[0].ip` */
export function formatPath(path: IssuePath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === "" ? "(document)" : out;
}

/** One line per issue: `file:3:7: error: interfaces[0].mtu: … (hint: …)` */
export function formatIssue(issue: Issue): string {
  const where = issue.source ? `${issue.source.file}:${issue.source.line}:${issue.source.column}: ` : "";
  const label = issue.kind === "unsupported" ? "unsupported" : issue.severity;
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return `${where}${label}: ${formatPath(issue.path)}: ${issue.message}${hint}`;
}

/** Prefix every issue's path, e.g. to report `spec.desiredState.interfaces[0]…`. */
export function prefixIssues(prefix: IssuePath, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }));
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The closest candidate within a small edit distance, if any. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(2, Math.floor(word.length / 3));
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
