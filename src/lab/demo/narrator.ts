/** How the demo talks: headings, plain-words narration, and each real command with its real output. */
import { execFile } from "node:child_process";

const bold = (s: string, tty: boolean) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string, tty: boolean) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Narrator {
  private readonly tty: boolean;
  private readonly write: (text: string) => void;

  constructor(write: (text: string) => void, tty: boolean) {
    this.write = write;
    this.tty = tty;
  }

  step(n: number, title: string): void {
    this.write(`\n${bold(`── ${n}. ${title} ${"─".repeat(Math.max(0, 68 - title.length))}`, this.tty)}\n`);
  }

  say(text: string): void {
    this.write(`${text}\n`);
  }

  ok(text: string): void {
    this.write(`${this.tty ? "\x1b[32m✔\x1b[0m" : "✔"} ${text}\n`);
  }

  /** Shows a command as a user would type it, runs it (argv, never a shell), and shows its output. */
  async run(display: string, file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    this.write(`${dim("$", this.tty)} ${display}\n`);
    const result = await new Promise<CommandResult>((resolve) => {
      const child = execFile(file, args, { maxBuffer: 16 << 20, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
      );
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(input ?? "");
    });
    const text = (result.stdout + result.stderr).trimEnd();
    if (text) this.write(`${text.split("\n").map((l) => `  ${l}`).join("\n")}\n`);
    return result;
  }

  /** Live progress: one line rewritten in place on a terminal, a line per change otherwise. */
  progress(line: string): void {
    this.write(this.tty ? `\r\x1b[2K  ${line}` : `  ${line}\n`);
  }

  endProgress(): void {
    if (this.tty) this.write("\n");
  }

  table(rows: string[][]): void {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    for (const [index, row] of rows.entries()) {
      this.write(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join("   ")}\n`);
      if (index === 0) this.write(`  ${widths.map((w) => "─".repeat(w)).join("   ")}\n`);
    }
  }
}

/** A step did not behave as narrated: the demo fails (it doubles as an end-to-end test). */
export class DemoError extends Error {
  override readonly name = "DemoError";
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoError(message);
}
