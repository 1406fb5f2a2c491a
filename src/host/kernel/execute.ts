/**
 * Runs a plan on the kernel in as few processes as its order allows:
 * consecutive iproute2 operations go to one `ip -batch -` (or `bridge -batch
 * -`), consecutive sysctls to one `sysctl`. The number of processes depends on
 * how many times the plan switches tool, never on how many interfaces it
 * touches. A failing line is mapped back to its operation.
 */
import { ExecuteError } from "../backend.ts";
import type { Operation } from "../../state/plan/operations.ts";
import { commandOf, describe } from "./commands.ts";
import { kernelKind } from "./kinds/index.ts";
import { CommandError, inNetns, run } from "./exec.ts";

type Tool = "ip" | "ip6" | "bridge" | "sysctl" | "single";

export interface Segment {
  tool: Tool;
  /** Indexes into the plan. */
  indexes: number[];
  lines: string[][];
}

/** iproute2's batch parser takes double-quoted words but no escapes inside them. */
const batchSafe = (word: string) => !word.includes('"') && !word.includes("\n") && !word.includes("\\");
const batchWord = (word: string) => (/[\s#']/.test(word) || word === "" ? `"${word}"` : word);

function toolOf(op: Operation): { tool: Tool; words: string[] } {
  const { tool, args } = commandOf(op);
  if (tool === "sysctl") return { tool: "sysctl", words: args.slice(1) };
  if (tool === "nodenet") return { tool: "single", words: args };
  if (!args.every(batchSafe)) return { tool: "single", words: args };
  if (tool === "ip" && args[0] === "-6") return { tool: "ip6", words: args.slice(1) };
  return { tool, words: args };
}

export function segment(ops: readonly Operation[]): Segment[] {
  const segments: Segment[] = [];
  ops.forEach((op, index) => {
    const { tool, words } = toolOf(op);
    const last = segments.at(-1);
    if (last && last.tool === tool && tool !== "single") {
      last.indexes.push(index);
      last.lines.push(words);
    } else {
      segments.push({ tool, indexes: [index], lines: [words] });
    }
  });
  return segments;
}

/** `Command failed -:3` → the 0-based line that failed. */
function failedLine(error: CommandError): number | undefined {
  const match = /Command failed -:(\d+)/.exec(error.stderr);
  return match ? Number(match[1]) - 1 : undefined;
}

function firstErrorLine(error: CommandError): string {
  return (
    error.stderr
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("Command failed"))[0] ?? error.message
  );
}

/**
 * The kernel answers "Unknown device type" to a link kind it has no driver
 * for (not built in, and the module not loadable): say so in nmstate's terms.
 */
function missingKind(op: Operation, detail: string): string | undefined {
  if (op.op !== "link-add" || !/Unknown device type/i.test(detail)) return undefined;
  const kind = kernelKind(op.create.kind);
  return `${op.name}: ${op.create.kind} interfaces are not supported by this kernel${kind?.module ? ` (kernel module ${kind.module} missing or not loadable)` : ""}`;
}

export type SingleRunner = (op: Operation) => Promise<void>;

export async function executeSegments(netns: string | undefined, ops: readonly Operation[], single: SingleRunner): Promise<void> {
  for (const seg of segment(ops)) {
    const fail = (line: number, detail: string, cause: unknown): never => {
      const index = seg.indexes[line] ?? seg.indexes[0]!;
      const op = ops[index];
      const missing = op ? missingKind(op, detail) : undefined;
      if (missing) throw new ExecuteError(index, op, `${missing}: ${describe(op!)}: ${detail}`, cause, { unsupported: true });
      throw new ExecuteError(index, op, `${op ? describe(op) : "operation"}: ${detail}`, cause);
    };
    try {
      switch (seg.tool) {
        case "ip":
        case "ip6":
        case "bridge": {
          const file = seg.tool === "bridge" ? "bridge" : "ip";
          const args = [...(netns ? ["-n", netns] : []), ...(seg.tool === "ip6" ? ["-6"] : []), "-batch", "-"];
          await run(file, args, { input: seg.lines.map((words) => words.map(batchWord).join(" ")).join("\n") + "\n" });
          break;
        }
        case "sysctl":
          await inNetns(netns, "sysctl", ["-q", "-w", ...seg.lines.map((words) => words[0]!)]);
          break;
        case "single":
          await single(ops[seg.indexes[0]!]!);
          break;
      }
    } catch (error) {
      if (error instanceof ExecuteError) throw error;
      if (error instanceof CommandError && seg.tool !== "single" && seg.tool !== "sysctl") {
        fail(failedLine(error) ?? 0, firstErrorLine(error), error);
      }
      fail(0, error instanceof Error ? error.message : String(error), error);
    }
  }
}

