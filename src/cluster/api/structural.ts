/**
 * JSON Schema (zod's z.toJSONSchema output) → Kubernetes structural schema.
 *
 * What changes: `$schema`, `propertyNames`, `additionalProperties: false`
 * and zod's safe-integer bounds go (Kubernetes prunes unknown fields itself);
 * int-or-string unions become `anyOf: [{type: integer}, {type: string}]`
 * with `x-kubernetes-int-or-string`; free-form objects become
 * `type: object` + `x-kubernetes-preserve-unknown-fields`; the root's
 * `metadata` becomes `{type: object}` (the API server owns its schema). Keys
 * are sorted, as controller-gen writes them, so the output is stable.
 */
export type JsonSchema = { [key: string]: unknown };

const SAFE_MIN = Number.MIN_SAFE_INTEGER;
const SAFE_MAX = Number.MAX_SAFE_INTEGER;

const isObject = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

function sortKeys(schema: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(schema).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function convert(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  if (schema["x-kubernetes-int-or-string"] === true) {
    out.anyOf = [{ type: "integer" }, { type: "string" }];
    out["x-kubernetes-int-or-string"] = true;
    if (schema.description !== undefined) out.description = schema.description;
    if (schema["x-kubernetes-validations"] !== undefined) out["x-kubernetes-validations"] = schema["x-kubernetes-validations"];
    return sortKeys(out);
  }
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case "$schema":
      case "propertyNames":
        break;
      case "additionalProperties":
        // false: Kubernetes prunes unknown fields anyway; {} on a preserve-unknown object: implied.
        if (value === false || (isObject(value) && Object.keys(value).length === 0)) break;
        out[key] = convert(value as JsonSchema);
        break;
      case "properties":
        out[key] = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchema>)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([name, sub]) => [name, convert(sub)]),
        );
        break;
      case "items":
        out[key] = convert(value as JsonSchema);
        break;
      case "required":
        out[key] = [...(value as string[])].sort();
        break;
      case "minimum":
        if (value !== SAFE_MIN) out[key] = value;
        break;
      case "maximum":
        if (value !== SAFE_MAX) out[key] = value;
        break;
      case "anyOf":
      case "oneOf":
      case "allOf":
      case "$ref":
      case "$defs":
        throw new Error(`${key} cannot be expressed in a structural schema; mark int-or-string unions with intOrString()`);
      default:
        out[key] = value;
    }
  }
  if (preserve && out.type === undefined) out.type = "object";
  return sortKeys(out);
}

/** Converts the schema of a whole resource (the CRD's openAPIV3Schema). */
export function toStructural(root: JsonSchema): JsonSchema {
  const converted = convert(root);
  delete converted.required;
  const properties = converted.properties as Record<string, JsonSchema> | undefined;
  if (properties?.metadata) properties.metadata = { type: "object" };
  return converted;
}

/**
 * Problems that make a schema non-structural (what the API server would
 * refuse), as paths: a node without a type that is neither int-or-string nor
 * free-form.
 */
export function structuralProblems(schema: JsonSchema, path = ""): string[] {
  const problems: string[] = [];
  const typed = schema.type !== undefined || schema["x-kubernetes-int-or-string"] === true || schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (!typed) problems.push(`${path || "<root>"}: no type`);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) problems.push(...structuralProblems(sub, `${path}.${name}`));
  if (isObject(schema.items)) problems.push(...structuralProblems(schema.items, `${path}[]`));
  if (isObject(schema.additionalProperties)) problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return problems;
}
