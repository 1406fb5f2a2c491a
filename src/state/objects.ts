/** Small pure helpers over JSON-like values. */

export type JsonObject = Record<string, unknown>;

/**
 * A deep copy of a JSON-like value (plain objects, arrays, scalars).
 * structuredClone is several times slower on the many small objects a state holds.
 */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: JsonObject = {};
  for (const key in value) out[key] = clone((value as JsonObject)[key]);
  return out as T;
}

export const isPlainObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * nmstate's merge: objects merge key by key (desired wins), lists and scalars
 * are replaced whole. Neither input is changed.
 */
export function mergeDeep<T>(current: T, desired: unknown): T {
  if (!isPlainObject(current) || !isPlainObject(desired)) return clone((desired === undefined ? current : desired) as T);
  const out: JsonObject = clone(current);
  for (const [key, value] of Object.entries(desired)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeDeep(out[key], value) : clone(value);
  }
  return out as T;
}

/** Deep equality for JSON-like values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Flattens nested objects to `a.b.c` → value; lists are leaves. */
export function flatten(value: unknown, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!isPlainObject(value)) {
    if (prefix) out.set(prefix, value);
    return out;
  }
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(child) && Object.keys(child).length) for (const [k, v] of flatten(child, path)) out.set(k, v);
    else out.set(path, child);
  }
  return out;
}

/** A copy without `undefined` values, with keys in a stable (sorted) order for output. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) out[key] = sortKeys(value[key]);
  return out as T;
}
