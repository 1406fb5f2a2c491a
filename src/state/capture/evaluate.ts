/**
 * Evaluates a policy's captures against the current state.
 *
 * Guarantees:
 * - Captures may be listed in any order; each is evaluated after the captures
 *   it reads. Circular references are reported, with the circle spelled out.
 * - A capture found in the cache is taken from there as is and its expression
 *   is not even parsed (kubernetes-nmstate re-renders a policy from the
 *   captured states stored in the enactment). Cache entries for names the
 *   policy does not capture are ignored.
 * - All syntax, unknown-name and cycle problems are reported together, before
 *   anything is evaluated. Evaluation problems of independent captures are
 *   reported together too; a capture whose input failed is skipped silently.
 * - The result never shares objects with `current` or `cache`.
 *
 * Caveats:
 * - A capture that matches nothing is not an error; using a value it does not
 *   have (`capture.x.interfaces.0.name`) is, when that happens.
 */
import { CaptureError, withHint, type CaptureIssue } from "./issue.ts";
import { clone, isObject, type JsonObject } from "./json.ts";
import { filterState, projectState, replaceInState, type Outcome } from "./operations.ts";
import { dependencies, parseCaptureExpression, type CaptureExpression } from "./parser.ts";
import { resolveReference, unknownCapture, type Resolved } from "./reference.ts";

type Entry =
  | { name: string; kind: "cached"; state: JsonObject }
  | { name: string; kind: "expression"; source: string; expression: CaptureExpression };

export function evaluateCaptures(
  capture: Record<string, string>,
  current: unknown,
  cache?: Record<string, unknown>,
): Record<string, unknown> {
  const issues: CaptureIssue[] = [];
  const entries = new Map<string, Entry>();

  const currentState = asState(current);
  if (currentState === undefined) {
    issues.push({ code: "invalid-input", message: `the current state must be an object, got ${describeValue(current)}` });
  }

  for (const [name, source] of Object.entries(capture ?? {})) {
    if (cache !== undefined && Object.hasOwn(cache, name)) {
      const state = asState(cache[name]);
      if (state === undefined) {
        issues.push({ code: "invalid-input", capture: name, message: `the cached captured state must be an object, got ${describeValue(cache[name])}` });
      } else entries.set(name, { name, kind: "cached", state });
      continue;
    }
    if (typeof source !== "string") {
      issues.push({ code: "invalid-input", capture: name, message: `a capture expression must be a string, got ${describeValue(source)}` });
      continue;
    }
    const parsed = parseCaptureExpression(source);
    if (!parsed.ok) {
      const { message, pos, hint } = parsed.error;
      issues.push(withHint({ code: "syntax", capture: name, message, position: pos, expression: source }, hint));
      continue;
    }
    entries.set(name, { name, kind: "expression", source, expression: parsed.value });
  }

  const names = Object.keys(capture ?? {});
  for (const entry of entries.values()) {
    if (entry.kind !== "expression") continue;
    for (const dep of dependencies(entry.expression)) {
      if (!names.includes(dep.capture)) {
        issues.push({
          code: "unknown-capture",
          capture: entry.name,
          ...unknownCapture(
            dep.capture,
            names.filter((n) => n !== entry.name),
            "the policy defines no other captures",
          ),
          position: dep.pos,
          expression: entry.source,
        });
      }
    }
  }
  const { order, cycles } = orderByDependencies(entries);
  for (const cycle of cycles) issues.push(cycle);
  if (issues.length > 0) throw new CaptureError(issues);

  const results = new Map<string, JsonObject>();
  for (const entry of order) {
    if (entry.kind === "cached") {
      results.set(entry.name, entry.state);
      continue;
    }
    if (dependencies(entry.expression).some((dep) => !results.has(dep.capture))) continue;
    const outcome = evaluateOne(entry.expression, currentState!, results);
    if (outcome.ok) results.set(entry.name, outcome.state);
    else {
      const issue = { code: outcome.code, capture: entry.name, message: outcome.message, position: outcome.pos, expression: entry.source };
      issues.push(withHint(issue, outcome.hint));
    }
  }
  if (issues.length > 0) throw new CaptureError(issues);

  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = clone(results.get(name));
  return out;
}

type EvalOutcome = Outcome | Exclude<Resolved, { ok: true }>;

function evaluateOne(expression: CaptureExpression, current: JsonObject, results: ReadonlyMap<string, JsonObject>): EvalOutcome {
  const input = expression.input ? results.get(expression.input.capture)! : current;
  const operation = expression.operation;
  if (operation === undefined) return projectState(input, expression.path);
  let operand: unknown;
  if (operation.operand.kind === "literal") operand = operation.operand.value;
  else {
    const resolved = resolveReference(operation.operand.ref, results);
    if (!resolved.ok) return resolved;
    operand = resolved.value;
  }
  if (operation.operator === "replace") return replaceInState(input, expression.path, operand);
  return filterState(input, expression.path, operation.operator, operand);
}

/**
 * Depth-first order, dependencies first, keeping the policy's order among
 * independent captures. Each cycle is reported once, at the reference that
 * closes it.
 */
function orderByDependencies(entries: ReadonlyMap<string, Entry>): { order: Entry[]; cycles: CaptureIssue[] } {
  const order: Entry[] = [];
  const cycles: CaptureIssue[] = [];
  const reported = new Set<string>();
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];

  const visit = (entry: Entry): void => {
    state.set(entry.name, "visiting");
    stack.push(entry.name);
    if (entry.kind === "expression") {
      for (const dep of dependencies(entry.expression)) {
        const target = entries.get(dep.capture);
        if (target === undefined) continue;
        const seen = state.get(dep.capture);
        if (seen === "visiting") {
          const circle = [...stack.slice(stack.indexOf(dep.capture)), dep.capture];
          const key = [...new Set(circle)].sort().join("\u0000");
          if (!reported.has(key)) {
            reported.add(key);
            cycles.push({
              code: "cycle",
              capture: entry.name,
              message: circle.length === 2 ? `capture '${entry.name}' refers to itself` : `captures refer to each other in a circle: ${circle.join(" -> ")}`,
              position: dep.pos,
              expression: entry.source,
            });
          }
        } else if (seen === undefined) visit(target);
      }
    }
    stack.pop();
    state.set(entry.name, "done");
    order.push(entry);
  };

  for (const entry of entries.values()) if (!state.has(entry.name)) visit(entry);
  return { order, cycles };
}

function asState(value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return {};
  return isObject(value) ? value : undefined;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return String(value);
}
