/**
 * AdmissionReview v1 (admission.k8s.io/v1): what the API server posts to a
 * validating webhook and what it expects back. Pure.
 *
 * Contract: the response carries the request's `uid`; `allowed: false` comes
 * with a Status (code, reason, message) that the API server wraps as
 * `admission webhook "NAME" denied the request: MESSAGE`; `warnings` are
 * shown by kubectl as `Warning: …` whether the request is allowed or not. A
 * body that is not an AdmissionReview gets HTTP 400 (the API server then
 * applies the webhook's failurePolicy).
 */
import { z } from "zod";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

const GroupVersionKindSchema = z.looseObject({ group: z.string(), version: z.string(), kind: z.string() });

export const AdmissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: GroupVersionKindSchema,
  resource: z.looseObject({ group: z.string(), version: z.string(), resource: z.string() }).optional(),
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
  userInfo: z.looseObject({ username: z.string().optional() }).optional(),
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequestSchema>;

export const AdmissionReviewSchema = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal("AdmissionReview"),
  request: AdmissionRequestSchema,
});

/**
 * A refusal, as a metav1.Status, without `details`: for an Invalid error
 * with details kubectl prints only the causes (field: message) or "The KIND
 * NAME is invalid", dropping the hints, the capture carets and the name of
 * the webhook that refused. The message carries every problem with its
 * path, one per line.
 */
export interface Denial {
  /** 422 for an invalid object, 400 for a malformed request, 500 when it could not be checked. */
  code: number;
  reason: "Invalid" | "BadRequest" | "InternalError";
  message: string;
}

export type Decision = { allowed: true; warnings: string[] } | { allowed: false; denial: Denial; warnings: string[] };

export const allow = (warnings: string[] = []): Decision => ({ allowed: true, warnings });
export const deny = (denial: Denial, warnings: string[] = []): Decision => ({ allowed: false, denial, warnings });

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { status: "Failure"; code: number; reason: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export function reviewResponse(uid: string, decision: Decision): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    const { code, reason, message } = decision.denial;
    response.status = { status: "Failure", code, reason, message };
  }
  if (decision.warnings.length) response.warnings = decision.warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

export type Answer = { httpStatus: 200; body: AdmissionReviewResponse } | { httpStatus: 400; body: { error: string } };

/**
 * A posted body (parsed JSON) → the HTTP answer. `decide` may throw: the
 * request is then refused (InternalError) rather than let through, matching
 * the webhook's failurePolicy: Fail.
 */
export async function answerReview(body: unknown, decide: (request: AdmissionRequest) => Decision | Promise<Decision>): Promise<Answer> {
  const parsed = AdmissionReviewSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    return { httpStatus: 400, body: { error: `not an admission.k8s.io/v1 AdmissionReview with a request: ${problems}` } };
  }
  const request = parsed.data.request;
  let decision: Decision;
  try {
    decision = await decide(request);
  } catch (error) {
    decision = deny({ code: 500, reason: "InternalError", message: `nodenet could not check the object, so it is refused: ${error instanceof Error ? error.message : String(error)}` });
  }
  return { httpStatus: 200, body: reviewResponse(request.uid, decision) };
}
