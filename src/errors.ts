/**
 * The kinds of failure nodenet distinguishes. The kind decides the exit code,
 * whether the cluster handler retries, and the condition reason it reports.
 */
import type { Issue } from "./state/issues.ts";

export type ErrorKind =
  | "invalid-input"
  | "unsupported"
  | "checkpoint-pending"
  | "busy"
  | "verification-failed"
  | "probe-failed"
  | "backend-failed"
  | "rollback-failed"
  | "bug";

const EXIT_CODES: Record<ErrorKind, number> = {
  "invalid-input": 2,
  unsupported: 2,
  "verification-failed": 3,
  "probe-failed": 4,
  "backend-failed": 5,
  "rollback-failed": 6,
  "checkpoint-pending": 7,
  busy: 7,
  bug: 70,
};

export class NodenetError extends Error {
  readonly kind: ErrorKind;
  /** Validation issues, for invalid input. */
  readonly issues: readonly Issue[];
  /** Whether the host was restored after this failure. */
  readonly restored: boolean;
  /** Every item the message summarises (the message shows a few: state/bounded.ts). */
  readonly details: readonly string[];

  constructor(kind: ErrorKind, message: string, options: { issues?: readonly Issue[]; restored?: boolean; cause?: unknown; details?: readonly string[] } = {}) {
    super(message, { cause: options.cause });
    this.name = "NodenetError";
    this.kind = kind;
    this.issues = options.issues ?? [];
    this.details = options.details ?? [];
    this.restored = options.restored ?? false;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }

  /**
   * Whether trying the same change again later may succeed: a busy host, a
   * pending checkpoint, a kernel error or a slow verification may pass; input
   * problems do not fix themselves, and a failed probe is the canary that stops
   * a rollout (retrying it would only cut the node off again).
   */
  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

const RETRYABLE: ReadonlySet<ErrorKind> = new Set(["busy", "checkpoint-pending", "backend-failed", "verification-failed"]);

/**
 * The one retry decision of the cluster side: a NodenetError's kind decides;
 * anything else (an API or network error) is transient.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof NodenetError ? error.retryable : true;
}

export function exitCodeOf(error: unknown): number {
  return error instanceof NodenetError ? error.exitCode : EXIT_CODES.bug;
}
