/**
 * Failures of nodenet's own state directory (read-only, full, permissions)
 * are the operator's to fix, not nodenet bugs: they become errors that name
 * the directory and what the system said, never a stack trace.
 */
import { existsSync, mkdirSync } from "node:fs";
import { NodenetError } from "../errors.ts";

const REASONS: Record<string, string> = {
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exhausted",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a path component is not a directory",
  EIO: "an I/O error",
};

export function stateDirError(dir: string, doing: string, error: unknown): NodenetError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const reason = REASONS[code] ?? (error instanceof Error ? error.message : String(error));
  return new NodenetError("backend-failed", `cannot ${doing} in nodenet's state directory ${dir}: ${reason}${code && REASONS[code] ? ` (${code})` : ""}`, { cause: error });
}

/** Runs a file-system step on the state directory, turning its failure into stateDirError. */
export function inStateDir<T>(dir: string, doing: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof NodenetError) throw error;
    throw stateDirError(dir, doing, error);
  }
}

/** mkdir -p that reports the real reason: Node's recursive mkdir says ENOENT where the file system is read-only. */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || existsSync(dir)) throw error;
    mkdirSync(dir);
  }
}
