/**
 * For tests: checks that every object in a value lists its keys in the order
 * the zod schema declares them, and only keys the schema knows. `show`
 * output is read by people; nmstate prints keys in schema order, so do we.
 */
import type { z } from "zod";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/nullable/preprocess wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType && (def.type === "optional" || def.type === "default" || def.type === "nullable")) current = def.innerType;
    else if (def.type === "pipe" && def.out) current = def.out;
    else return current;
  }
}

/** Returns one message per misplaced or unknown key, with its path. */
export function keyOrderIssues(value: unknown, schema: z.ZodType, path = "$"): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === "union" && def.options) {
    // The first alternative that accepts the keys decides.
    const results = def.options.map((o) => keyOrderIssues(value, o, path));
    return results.find((r) => r.length === 0) ?? results[0] ?? [];
  }
  if (def.type === "array" && def.element && Array.isArray(value)) {
    return value.flatMap((item, i) => keyOrderIssues(item, def.element!, `${path}[${i}]`));
  }
  if (def.type !== "object" || !def.shape || value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const order = Object.keys(def.shape);
  const issues: string[] = [];
  let last = -1;
  for (const key of Object.keys(value)) {
    const index = order.indexOf(key);
    if (index < 0) issues.push(`${path}.${key}: not in the schema`);
    else if (index < last) issues.push(`${path}.${key}: comes after ${order[last]} but the schema puts it before`);
    else last = index;
    if (index >= 0) issues.push(...keyOrderIssues((value as Record<string, unknown>)[key], def.shape[key]!, `${path}.${key}`));
  }
  return issues;
}
