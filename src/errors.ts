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

  /** Input problems do not fix themselves; a failed probe or a busy host might. */
  get retryable(): boolean {
    return this.kind === "probe-failed" || this.kind === "verification-failed" || this.kind === "backend-failed" || this.kind === "busy" || this.kind === "checkpoint-pending";
  }
}

export function exitCodeOf(error: unknown): number {
  return error instanceof NodenetError ? error.exitCode : EXIT_CODES.bug;
}
