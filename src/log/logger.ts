/**
 * Structured, levelled logs (pino). Components receive a `Logger` (never
 * create one at import time) and derive children that carry their context:
 * `log.child({ policy, generation, enactment })`, so every line of a
 * reconcile names what it is about.
 *
 * Output: one JSON object per line (what log collectors in a pod want), or,
 * on a terminal, one readable line per entry (text.ts). `format: "auto"`
 * picks text when the destination is a TTY.
 */
import { pino, type DestinationStream } from "pino";
import type { LogLevel } from "./levels.ts";
import { formatLine } from "./text.ts";

/** The part of pino's logger nodenet uses; pino's Logger satisfies it, and so can a test double. */
export interface Logger {
  trace(fields: object, message?: string): void;
  trace(message: string): void;
  debug(fields: object, message?: string): void;
  debug(message: string): void;
  info(fields: object, message?: string): void;
  info(message: string): void;
  warn(fields: object, message?: string): void;
  warn(message: string): void;
  error(fields: object, message?: string): void;
  error(message: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** "json", "text", or "auto" (text on a TTY, JSON otherwise). Default auto. */
  format?: "json" | "text" | "auto";
  /** Default: standard error. */
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Fields on every line, e.g. { component: "handler", node }. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const text = options.format === "text" || (options.format !== "json" && destination.isTTY === true);
  const stream: DestinationStream = text ? { write: (line: string) => void destination.write(formatLine(line)) } : { write: (line: string) => void destination.write(line) };
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not numbers: readable in kubectl logs and matched by collectors alike.
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

const nothing = () => undefined;
/** A logger that writes nothing (tests, callers that pass none); a constant, not a pino instance. */
export const silentLogger: Logger = { trace: nothing, debug: nothing, info: nothing, warn: nothing, error: nothing, child: () => silentLogger };

/** An error as log fields: its message, kind and cause, never a stack for expected failures. */
export function errorFields(error: unknown): { err: string; kind?: string } {
  if (error instanceof Error) {
    const kind = (error as { kind?: unknown }).kind;
    return { err: error.message, ...(typeof kind === "string" ? { kind } : {}) };
  }
  return { err: String(error) };
}

/** A `(message) => void` callback for the leaf modules that take one (informers, drain, leader election). */
export function lineLogger(log: Logger, level: "debug" | "info" | "warn" = "info"): (message: string) => void {
  return (message) => log[level](message);
}
