/**
 * YAML/JSON text → plain values, one per document, each with a way to find
 * the file:line:column of any path inside it (for error messages).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import { invalid, type Issue, type IssuePath, type SourceLocation } from "../issues.ts";

export interface SourceDocument {
  value: unknown;
  /** Location of the deepest node along `path` that exists in the source. */
  locate(path: IssuePath): SourceLocation | undefined;
}

export interface ReadResult {
  documents: SourceDocument[];
  issues: Issue[];
}

export function readDocuments(text: string, file: string): ReadResult {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const issues: Issue[] = [];
  const documents: SourceDocument[] = [];
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  for (const doc of docs) {
    for (const error of doc.errors) {
      issues.push({ ...invalid([], `YAML syntax: ${error.message.split("\n")[0]}`), source: at(error.pos[0]) });
    }
    if (doc.errors.length) continue;
    if (doc.contents === null) continue; // an empty document between `---` separators
    const value = toPlainValue(doc);
    if ("problem" in value) {
      issues.push({ ...invalid([], value.problem), source: at(doc.range[0]) });
      continue;
    }
    documents.push({ value: value.value, locate: (path) => locateIn(doc, path, at) });
  }
  if (!Array.isArray(parsed) && !docs.length) issues.push(invalid([], "not a YAML stream"));
  return { documents, issues };
}

/**
 * Aliases are expanded with a budget (the yaml library's maxAliasCount counts
 * every node an alias expands to, so a "billion laughs" stops after a few
 * thousand nodes), and an alias inside its own anchor — which the library
 * turns into a cyclic object — is refused before anything walks it.
 */
const MAX_ALIAS_COUNT = 1000;

function toPlainValue(doc: Document): { value: unknown } | { problem: string } {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError) return { problem: `YAML aliases: ${error.message} (at most ${MAX_ALIAS_COUNT} alias expansions)` };
    throw error;
  }
  return hasCycle(value, new Set()) ? { problem: "YAML aliases: an alias refers to the node that contains it (a self-referencing anchor cannot be a network state)" } : { value };
}

function hasCycle(value: unknown, ancestors: Set<object>): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = value instanceof Map ? [...value.values()] : Object.values(value);
  const cyclic = children.some((child) => hasCycle(child, ancestors));
  ancestors.delete(value);
  return cyclic;
}

function locateIn(doc: Document, path: IssuePath, at: (offset: number) => SourceLocation): SourceLocation | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = isNodeWithRange(node) ? node : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      if (isNodeWithRange(pair.key)) found = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      if (!isNodeWithRange(node)) break;
      found = node;
    } else {
      break;
    }
  }
  return found?.range ? at(found.range[0]) : undefined;
}

function isNodeWithRange(value: unknown): value is Node {
  return typeof value === "object" && value !== null && "range" in value;
}
