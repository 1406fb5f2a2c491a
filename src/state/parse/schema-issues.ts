/**
 * Zod's issues rendered the way a network engineer needs them: the field
 * path, what was wrong in plain words, and a did-you-mean for misspelt keys
 * and enum values.
 */
import type { z } from "zod";
import { didYouMean, invalid, type Issue, type IssuePath } from "../issues.ts";

type ZodIssue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** The object keys the schema allows at `path`, by walking the schema itself. */
export function keysAt(root: AnySchema, path: readonly PropertyKey[]): string[] {
  let schemas: AnySchema[] = [root];
  const expand = (schema: AnySchema): AnySchema[] => {
    const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "readonly":
        return expand(def.innerType as AnySchema);
      case "pipe":
        return expand(def.out as AnySchema);
      case "union":
        return (def.options as AnySchema[]).flatMap(expand);
      default:
        return [schema];
    }
  };
  for (const segment of path) {
    const next: AnySchema[] = [];
    for (const schema of schemas.flatMap(expand)) {
      const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === "object" && typeof segment === "string") {
        const child = (def.shape as Record<string, AnySchema>)[segment];
        if (child) next.push(child);
      } else if (def.type === "array" && typeof segment === "number") {
        next.push(def.element as AnySchema);
      } else if (def.type === "record") {
        next.push(def.valueType as AnySchema);
      }
    }
    schemas = next;
  }
  const keys = new Set<string>();
  for (const schema of schemas.flatMap(expand)) {
    const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === "object") for (const key of Object.keys(def.shape as object)) keys.add(key);
  }
  return [...keys];
}

/**
 * A value as quoted in a message: whole when short, otherwise its start and
 * its size — a 20 MB description must not come back as 20 MB of error.
 */
export function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= 80) return text;
  return `${text.slice(0, 40)}…" (${typeof value === "string" ? `${new TextEncoder().encode(value).length} bytes` : `${text.length} characters`})`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${quoted(value)}`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  record: "a mapping",
};

export function schemaIssues(root: AnySchema, issues: readonly ZodIssue[], mapPath: (path: IssuePath) => IssuePath): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = mapPath(issue.path.filter((p): p is string | number => typeof p !== "symbol"));
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = keysAt(root, issue.path);
        for (const key of issue.keys) {
          const guess = didYouMean(key, allowed);
          out.push(invalid([...path, key], `unknown key "${key}"`, guess ? `did you mean "${guess}"?` : allowed.length ? `known keys: ${allowed.join(", ")}` : undefined));
        }
        break;
      }
      case "invalid_type": {
        if (issue.input === undefined) {
          out.push(invalid(path, "is required"));
        } else {
          out.push(invalid(path, `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`));
        }
        break;
      }
      case "invalid_value": {
        const values = issue.values.map(String);
        const guess = typeof issue.input === "string" ? didYouMean(issue.input, values) : undefined;
        const got = issue.input === undefined ? "" : `${quoted(issue.input)} is not allowed; `;
        out.push(invalid(path, `${got}expected ${values.length === 1 ? values[0] : `one of: ${values.join(", ")}`}`, guess ? `did you mean "${guess}"?` : undefined));
        break;
      }
      case "too_big":
        out.push(invalid(path, `${quoted(issue.input ?? "")} is too large: at most ${issue.maximum}${issue.origin === "string" ? " characters" : ""}`));
        break;
      case "too_small":
        out.push(invalid(path, `${quoted(issue.input ?? "")} is too small: at least ${issue.minimum}${issue.origin === "string" ? " characters" : ""}`));
        break;
      case "invalid_format":
        out.push(invalid(path, issue.input !== undefined ? `${quoted(issue.input)}: ${issue.message}` : issue.message));
        break;
      case "invalid_union": {
        // Report the branch that got furthest; for our unions that is the most specific message.
        const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
        if (best && best.length) out.push(...schemaIssues(root, best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), mapPath));
        else out.push(invalid(path, issue.message));
        break;
      }
      default:
        out.push(invalid(path, typeof issue.input === "string" ? `${quoted(issue.input)}: ${issue.message}` : issue.message));
    }
  }
  return out;
}
