/** Reading Kubernetes API errors by status code and reason, never by message text. */
import { ApiException } from "@kubernetes/client-node";

export interface ApiStatus {
  code: number;
  reason?: string;
  message?: string;
  /** Per-field causes (e.g. each failed CEL rule). */
  causes: { field?: string; message?: string; reason?: string }[];
}

/** The Status an API call failed with, or undefined for transport errors. */
export function apiStatus(error: unknown): ApiStatus | undefined {
  if (error instanceof ApiException) {
    let body: Record<string, unknown> = {};
    try {
      body = typeof error.body === "string" ? (JSON.parse(error.body) as Record<string, unknown>) : ((error.body as Record<string, unknown>) ?? {});
    } catch {
      // not JSON: keep only the code
    }
    const details = (body.details ?? {}) as { causes?: ApiStatus["causes"] };
    return { code: error.code, reason: body.reason as string | undefined, message: body.message as string | undefined, causes: details.causes ?? [] };
  }
  const code = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === "number" ? { code, causes: [] } : undefined;
}

export const isNotFound = (error: unknown) => apiStatus(error)?.code === 404;
export const isConflict = (error: unknown) => apiStatus(error)?.code === 409;
export const isAlreadyExists = (error: unknown) => apiStatus(error)?.code === 409 && apiStatus(error)?.reason === "AlreadyExists";
export const isGone = (error: unknown) => apiStatus(error)?.code === 410;
/** Refused by validation (schema, CEL, admission): 422 Invalid. */
export const isInvalid = (error: unknown) => apiStatus(error)?.code === 422;

/** A one-line description for logs and CLI errors. */
export function describeApiError(error: unknown): string {
  const status = apiStatus(error);
  if (!status) return error instanceof Error ? error.message : String(error);
  return `HTTP ${status.code}${status.reason ? ` ${status.reason}` : ""}${status.message ? `: ${status.message}` : ""}`;
}
