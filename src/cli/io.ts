/** Input and output shared by the CLI commands. */
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { NodenetError } from "../errors.ts";
import { boundedList } from "../state/bounded.ts";
import { formatIssue, type Issue } from "../state/issues.ts";
import type { SourceFile } from "../state/load.ts";

export function readSources(files: readonly string[]): SourceFile[] {
  if (!files.length) throw new NodenetError("invalid-input", "give at least one state file (or - for standard input)");
  return files.map((file) => {
    try {
      return { file: file === "-" ? "<stdin>" : file, text: readFileSync(file === "-" ? 0 : file, "utf8") };
    } catch (error) {
      throw new NodenetError("invalid-input", `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    }
  });
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Issues shown one a line, at most ISSUE_LINES of them: the rest are counted (`--json` lists them all). */
export const ISSUE_LINES = 20;

export function printIssues(issues: readonly Issue[], stream: NodeJS.WritableStream = process.stderr): void {
  if (!issues.length) return;
  const text = boundedList(issues.map(formatIssue), { max: ISSUE_LINES, separator: "\n" });
  stream.write(`${text}${issues.length > ISSUE_LINES ? " (--json lists them all)" : ""}\n`);
}

export const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
export const err = (text: string) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);

/** Parses `--timeout 30`, naming the flag when it is not a positive number. */
export function positiveSeconds(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new NodenetError("invalid-input", `${flag} takes a positive number of seconds, not "${value}"`);
    return n;
  };
}

/**
 * A reader that goes away (`nodenet show | head -1`) must not crash nodenet
 * with an EPIPE stack trace. Output to a closed pipe is dropped and the
 * command runs to its end: an apply whose log nobody reads still finishes its
 * transaction (commit or roll back) instead of leaving it to the watchdog,
 * and the exit status is the command's own, like tools that finish their work
 * rather than die of SIGPIPE.
 */
export function dropOutputToClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    });
  }
}

export { globMatcher } from "../state/glob.ts";
