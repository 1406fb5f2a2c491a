/**
 * Untyped input → a typed NetworkState, or every problem with it. The order is
 * fixed: aliases are normalised, unsupported features reported and removed,
 * then the schema decides. Semantic checks that need the current host state
 * live in ../validate.
 */
import { NetworkStateSchema, type NetworkState } from "../schema/state.ts";
import { hasErrors, invalid, prefixIssues, type Issue, type IssuePath } from "../issues.ts";
import { clone } from "../objects.ts";
import { normaliseAliases } from "./aliases.ts";
import { readDocuments, type SourceDocument } from "./documents.ts";
import { openEnvelope, type Envelope } from "./envelope.ts";
import { schemaIssues } from "./schema-issues.ts";
import { extractUnsupported } from "./unsupported.ts";

export { readDocuments, type SourceDocument } from "./documents.ts";
export { openEnvelope, type Envelope } from "./envelope.ts";
export { normaliseAliases } from "./aliases.ts";
export { keysAt } from "./schema-issues.ts";

export interface ParseResult {
  /** Present when there were no errors (warnings may exist). */
  state?: NetworkState;
  /**
   * With errors: the document without the fields at fault, when that parses —
   * so that semantic validation can still report every other problem at once.
   * Never applied.
   */
  partial?: NetworkState;
  issues: Issue[];
}

/** Removes the value at `path` (a key of an object or an entry of a list) from a JSON-like value. */
function prune(value: unknown, path: readonly PropertyKey[]): void {
  let node = value as Record<PropertyKey, unknown> | unknown[] | undefined;
  for (const segment of path.slice(0, -1)) {
    node = (node as Record<PropertyKey, unknown> | undefined)?.[segment] as typeof node;
    if (typeof node !== "object" || node === null) return;
  }
  const last = path.at(-1);
  if (last === undefined || !node) return;
  if (Array.isArray(node) && typeof last === "number") node.splice(last, 1, undefined);
  else delete (node as Record<PropertyKey, unknown>)[last];
}

/** What remains of a document once the fields zod refused are taken out (see ParseResult.partial). */
function partialParse(rest: unknown, issues: readonly { code: string; path: PropertyKey[]; keys?: string[] }[]): NetworkState | undefined {
  const copy = clone(rest);
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") for (const key of issue.keys ?? []) prune(copy, [...issue.path, key]);
    else if (issue.path.length > 1) prune(copy, issue.path);
    else return undefined;
  }
  // Holes left in lists (removed entries) are dropped.
  const ifaces = (copy as { interfaces?: unknown[] } | undefined)?.interfaces;
  if (Array.isArray(ifaces)) (copy as { interfaces: unknown[] }).interfaces = ifaces.filter((i) => i !== undefined);
  const again = NetworkStateSchema.safeParse(copy);
  return again.success ? again.data : undefined;
}

/** Parses one plain state value (not a policy; render captures first). */
export function parseState(value: unknown): ParseResult {
  if (value === null || value === undefined) return { state: {}, issues: [] };
  const normalised = normaliseAliases(value);
  const { issues, rest } = extractUnsupported(normalised.value);
  issues.unshift(...normalised.issues);
  // Interfaces of unsupported types were replaced by holes; drop them but keep
  // the original index in every later path.
  const indexMap: number[] = [];
  if (rest && typeof rest === "object" && Array.isArray((rest as { interfaces?: unknown }).interfaces)) {
    const ifaces = (rest as { interfaces: unknown[] }).interfaces;
    const kept: unknown[] = [];
    ifaces.forEach((iface, index) => {
      if (iface !== undefined) {
        indexMap.push(index);
        kept.push(iface);
      }
    });
    (rest as { interfaces: unknown[] }).interfaces = kept;
  }
  const mapPath = (path: IssuePath): IssuePath =>
    path[0] === "interfaces" && typeof path[1] === "number" ? ["interfaces", indexMap[path[1]] ?? path[1], ...path.slice(2)] : path;
  const parsed = NetworkStateSchema.safeParse(rest, { reportInput: true });
  if (!parsed.success) {
    issues.push(...schemaIssues(NetworkStateSchema, parsed.error.issues, mapPath));
    const partial = partialParse(rest, parsed.error.issues as { code: string; path: PropertyKey[]; keys?: string[] }[]);
    return partial ? { issues, partial } : { issues };
  }
  return hasErrors(issues) ? { issues } : { state: parsed.data, issues };
}

export interface ParsedFile {
  /** Each document's envelope (state or policy), in file order. */
  envelopes: { envelope: Envelope; document: SourceDocument }[];
  issues: Issue[];
}

/** Reads a YAML/JSON file's documents and identifies what each one is. */
export function readStateFile(text: string, file: string): ParsedFile {
  const { documents, issues } = readDocuments(text, file);
  const envelopes: ParsedFile["envelopes"] = [];
  for (const document of documents) {
    const opened = openEnvelope(document.value);
    issues.push(...locate(document, opened.issues));
    if (opened.envelope) envelopes.push({ envelope: opened.envelope, document });
  }
  if (!documents.length && !issues.length) issues.push({ ...invalid([], "the file holds no document"), source: { file, line: 1, column: 1 } });
  return { envelopes, issues };
}

/** Attaches file:line:column to issues whose paths are relative to the document root. */
export function locate(document: SourceDocument, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => {
    const source = issue.source ?? document.locate(issue.path);
    return source ? { ...issue, source } : issue;
  });
}

/** Parses a plain-state envelope's state, with paths and locations relative to the document. */
export function parseEnvelopeState(envelope: Envelope & { kind: "state" }, document: SourceDocument): ParseResult {
  const result = parseState(envelope.state);
  return { ...result, issues: locate(document, prefixIssues(envelope.path, result.issues)) };
}
