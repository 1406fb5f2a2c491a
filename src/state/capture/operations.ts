/**
 * The three things an expression can do to its input state.
 *
 * Filter (`==`, `!=`): the path runs through object keys down to the first
 * list; the entries of that list are kept or dropped as wholes, and the
 * result holds only the path down to that list (`{routes: {running: [...]}}`).
 * The rest of the path is read inside each entry; a list met there means
 * "any element" (`interfaces.ipv4.address.ip == "10.0.0.1"` keeps interfaces
 * that have that address, with all their addresses). `==` keeps an entry when
 * some value at the path equals the operand; `!=` keeps it when it has a value
 * there and none equals the operand, so entries without the property match
 * neither (nmpolicy drops them too). `== null` keeps entries that lack the
 * property, `!= null` those that have it. A path without any list compares
 * the single value and keeps its parent object, or nothing. Nothing matching
 * is not an error: the list comes back empty.
 *
 * Scalars compare by their text, as nmstate does, so `interfaces.mtu == 1500`
 * and `interfaces.mtu == "1500"` both match an mtu of 1500; objects and lists
 * (from capture references) compare structurally.
 *
 * Replace (`:=`): sets the property at the path in every entry of every list
 * on the way, creating missing objects, and returns the whole input with that
 * change. `:= null` removes the property.
 *
 * Path alone: keeps only what lies at the path (through lists, each entry is
 * cut down to the path and entries without it are left out).
 */
import { clone, deepEqual, isObject, typeName, type Json, type JsonObject } from "./json.ts";
import type { Step } from "./parser.ts";

export type Outcome =
  | { ok: true; state: JsonObject }
  | { ok: false; code: "invalid-path"; message: string; pos: number; hint?: string };

class PathFailure extends Error {
  readonly pos: number;

  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}

export function filterState(input: JsonObject, path: Step[], operator: "eq" | "ne", operand: unknown): Outcome {
  const keep = operator === "eq" ? (values: unknown[]) => equalsAny(values, operand) : (values: unknown[]) => differsFromAll(values, operand);
  return attempt(path, () => {
    let node: JsonObject = input;
    for (const [i, step] of path.entries()) {
      const key = step.key as string;
      const child = node[key];
      if (child === undefined || child === null) return {};
      if (Array.isArray(child)) {
        const rest = path.slice(i + 1);
        return nest(path.slice(0, i + 1), child.filter((entry) => keep(valuesAt(entry, rest))));
      }
      if (i === path.length - 1) {
        if (!keep([child])) return {};
        return i === 0 ? input : nest(path.slice(0, i), node);
      }
      if (!isObject(child)) throw notAnObject(path, i, child);
      node = child;
    }
    return {};
  });
}

export function replaceInState(input: JsonObject, path: Step[], value: unknown): Outcome {
  return attempt(path, () => replaceIn(input, path, 0, value) as JsonObject);
}

export function projectState(input: JsonObject, path: Step[]): Outcome {
  if (path.length === 0) return { ok: true, state: input };
  return attempt(path, () => (project(input, path) ?? {}) as JsonObject);
}

function attempt(path: Step[], run: () => JsonObject): Outcome {
  const index = path.find((step) => typeof step.key === "number");
  if (index !== undefined) {
    return {
      ok: false,
      code: "invalid-path",
      message: "a list index cannot be used here",
      pos: index.pos,
      hint: "filters and replaces apply to every entry of a list; indexes belong in capture references such as capture.NAME.interfaces.0.name",
    };
  }
  try {
    return { ok: true, state: run() };
  } catch (error) {
    if (error instanceof PathFailure) return { ok: false, code: "invalid-path", message: error.message, pos: error.pos };
    throw error;
  }
}

function valuesAt(node: unknown, rest: Step[]): unknown[] {
  if (node === undefined || node === null) return [];
  if (rest.length === 0) return [node];
  if (Array.isArray(node)) return node.flatMap((item) => valuesAt(item, rest));
  if (!isObject(node)) return [];
  return valuesAt(node[rest[0]!.key as string], rest.slice(1));
}

function equalsAny(values: unknown[], operand: unknown): boolean {
  if (operand === null) return values.length === 0;
  return values.some((value) => matches(value, operand));
}

function differsFromAll(values: unknown[], operand: unknown): boolean {
  if (operand === null) return values.length > 0;
  return values.length > 0 && !values.some((value) => matches(value, operand));
}

function matches(value: unknown, operand: unknown): boolean {
  if (isScalar(value) && isScalar(operand)) return String(value) === String(operand);
  if (deepEqual(value, operand)) return true;
  // A list reached at the end of the path matches when any element does.
  return Array.isArray(value) && value.some((item) => matches(item, operand));
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function replaceIn(node: unknown, path: Step[], depth: number, value: unknown): unknown {
  if (Array.isArray(node)) {
    // Every entry of a list on the path gets the change; entries that are not
    // objects have nowhere to put it.
    return node.map((entry) => (Array.isArray(entry) || isObject(entry) ? replaceIn(entry, path, depth, value) : entry));
  }
  if (!isObject(node)) throw notAnObject(path, depth - 1, node);
  const key = path[depth]!.key as string;
  const copy: JsonObject = { ...node };
  if (depth === path.length - 1) {
    if (value === null) delete copy[key];
    else copy[key] = clone(value) as Json;
    return copy;
  }
  let child: unknown = node[key];
  if (child === undefined || child === null) {
    if (value === null) return copy;
    child = {};
  }
  copy[key] = replaceIn(child, path, depth + 1, value) as Json;
  return copy;
}

function project(node: unknown, path: Step[]): unknown {
  if (path.length === 0) return node;
  if (Array.isArray(node)) return node.map((entry) => project(entry, path)).filter((entry) => entry !== undefined);
  if (!isObject(node)) return undefined;
  const key = path[0]!.key as string;
  if (!Object.hasOwn(node, key)) return undefined;
  const inner = project(node[key], path.slice(1));
  return inner === undefined ? undefined : { [key]: inner };
}

function nest(path: Step[], leaf: unknown): JsonObject {
  let out = leaf as Json;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]!.key as string]: out };
  return out as JsonObject;
}

function notAnObject(path: Step[], index: number, value: unknown): PathFailure {
  const label = path
    .slice(0, index + 1)
    .map((s) => s.key)
    .join(".");
  const next = path[index + 1]!;
  return new PathFailure(`${label} is ${typeName(value) === "null" ? "null" : `a ${typeName(value)}`}, it has no '${next.key}'`, next.pos);
}
