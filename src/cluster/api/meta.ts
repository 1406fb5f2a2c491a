/**
 * Building blocks shared by the nmstate.io resources: Kubernetes metadata,
 * conditions in upstream's shape, and the markers that turn into structural
 * schema extensions when the CRDs are generated (see structural.ts).
 */
import { z } from "zod";

/** RFC 3339 time as the API server writes it; kept a string, as it travels. */
export const dateTime = () => z.string().meta({ format: "date-time" });

/** `maxUnavailable: 1` or `"50%"`: x-kubernetes-int-or-string. */
export const intOrString = (extensions: Record<string, unknown> = {}) => z.union([z.int(), z.string()]).meta({ "x-kubernetes-int-or-string": true, ...extensions });

/** An object whose content the API server stores as given (x-kubernetes-preserve-unknown-fields). */
export const freeformObject = () => z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true });

/** A 64-bit integer field (metadata.generation and the like). */
export const int64 = () => z.int().meta({ format: "int64" });

export type CelRule = { rule: string; message?: string; messageExpression?: string; fieldPath?: string; reason?: string };
/** Attaches CEL validation rules (x-kubernetes-validations) to a schema. */
export const celRules = (...rules: CelRule[]) => ({ "x-kubernetes-validations": rules });

/**
 * The metadata fields nodenet reads. The CRD itself declares only
 * `metadata: {type: object}`: the API server owns its schema.
 */
export const ObjectMetaSchema = z.looseObject({
  name: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z
    .array(z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional(), blockOwnerDeletion: z.boolean().optional() }))
    .optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/**
 * Upstream's condition (kubernetes-nmstate `shared.Condition`): note
 * `lastHeartbeatTime`, which metav1.Condition does not have, and no
 * observedGeneration. `type` and `status` are bounded so CEL rules that look
 * at conditions stay within the API server's cost budget.
 */
export const ConditionSchema = z.object({
  type: z.string().max(128),
  status: z.string().max(16),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastHeartbeatTime: dateTime().optional(),
  lastTransitionTime: dateTime().optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;
export type ConditionStatus = "True" | "False" | "Unknown";

/** At most one condition per type; the bound keeps CEL cost estimates finite. */
export const conditionList = () => z.array(ConditionSchema).max(32);

export const API_VERSION_DESCRIPTION =
  "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.";
export const KIND_DESCRIPTION = "Kind is a string value representing the REST resource this object represents. In CamelCase.";

/** The root of a resource: apiVersion, kind, metadata, then the resource's own parts. */
export function resourceShape<S extends z.ZodRawShape>(shape: S) {
  return {
    apiVersion: z.string().optional().describe(API_VERSION_DESCRIPTION),
    kind: z.string().optional().describe(KIND_DESCRIPTION),
    metadata: ObjectMetaSchema,
    ...shape,
  };
}
