/**
 * Follows `capture.NAME.path` into captured states, used both for values in
 * expressions and for desiredState templates. A failure says which step went
 * wrong and why, in the user's terms: "capture 'x' matched no interfaces",
 * "capture.x.interfaces.0 has no 'mac-adress'; did you mean 'mac-address'?".
 */
import { didYouMean } from "../issues.ts";
import { isObject, typeName } from "./json.ts";
import type { Reference } from "./parser.ts";

export type Resolved =
  | { ok: true; value: unknown }
  | {
      ok: false;
      code: "unknown-capture" | "missing-value" | "invalid-path";
      message: string;
      pos: number;
      hint?: string;
      /** The capture itself came out empty, so its expression is worth quoting. */
      nothingCaptured?: boolean;
    };

export function resolveReference(ref: Reference, captured: ReadonlyMap<string, unknown>): Resolved {
  if (!captured.has(ref.capture)) {
    return { ok: false, code: "unknown-capture", ...unknownCapture(ref.capture, captured.keys()), pos: ref.capturePos };
  }
  let node = captured.get(ref.capture);
  let label = `capture.${ref.capture}`;
  let indexed = false;
  for (const [i, step] of ref.steps.entries()) {
    const fail = (code: "missing-value" | "invalid-path", message: string, hint?: string): Resolved =>
      hint === undefined ? { ok: false, code, message, pos: step.pos } : { ok: false, code, message, pos: step.pos, hint };
    const nothing = (message: string): Resolved => ({ ok: false, code: "missing-value", message, pos: step.pos, nothingCaptured: true });
    if (Array.isArray(node)) {
      if (typeof step.key !== "number") {
        return fail("invalid-path", `${label} is a list`, `pick an element by index, e.g. ${label}.0.${step.key}`);
      }
      if (step.key >= node.length) {
        if (node.length === 0) {
          const within = ref.steps.slice(0, i).map((s) => s.key).join(".");
          if (indexed || i === 0) return fail("missing-value", `${label} is empty, there is no element ${step.key}`);
          const what = i === 1 ? within : `${within} entries`;
          return nothing(`capture '${ref.capture}' matched no ${what}`);
        }
        const count = node.length === 1 ? "1 element" : `${node.length} elements`;
        return fail("missing-value", `${label} has ${count}; index ${step.key} is out of range`);
      }
      node = node[step.key];
      indexed = true;
    } else if (isObject(node)) {
      const keys = Object.keys(node);
      if (typeof step.key === "number") {
        return fail("invalid-path", `${label} is an object, not a list`, keyHint(keys));
      }
      if (!Object.hasOwn(node, step.key)) {
        if (i === 0 && keys.length === 0) {
          return nothing(`capture '${ref.capture}' captured nothing`);
        }
        const suggestion = didYouMean(step.key, keys);
        return fail("missing-value", `${label} has no '${step.key}'`, suggestion ? `did you mean '${suggestion}'?` : keyHint(keys));
      }
      node = node[step.key];
    } else {
      return fail("invalid-path", `${label} is ${article(node)}, it has no '${step.key}'`);
    }
    label = `${label}.${step.key}`;
  }
  return { ok: true, value: node };
}

export function unknownCapture(
  name: string,
  known: Iterable<string>,
  noneHint = "the policy defines no captures",
): { message: string; hint: string } {
  const names = [...known];
  const suggestion = didYouMean(name, names);
  const message = `unknown capture '${name}'`;
  if (suggestion) return { message, hint: `did you mean '${suggestion}'?` };
  if (names.length === 0) return { message, hint: noneHint };
  return { message, hint: `captures: ${names.join(", ")}` };
}

function keyHint(keys: string[]): string {
  if (keys.length === 0) return "it is empty";
  return `it has: ${keys.slice(0, 12).join(", ")}${keys.length > 12 ? ", …" : ""}`;
}

function article(value: unknown): string {
  const name = typeName(value);
  if (name === "null") return "null";
  return `${/^[aeiou]/.test(name) ? "an" : "a"} ${name}`;
}
