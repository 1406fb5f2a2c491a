/**
 * Running system tools with argument arrays (never a shell string). Commands
 * that target a named network namespace use `ip -n NS …` / `bridge -n NS …`
 * where iproute2 supports it and `ip netns exec NS CMD …` otherwise.
 */
import { execFile, type ExecFileException } from "node:child_process";

export interface RunOptions {
  /** Text fed to the command's standard input (e.g. an `ip -batch -` script). */
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  readonly command: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(command: readonly string[], exitCode: number | null, stdout: string, stderr: string, cause?: unknown) {
    const detail = stderr.trim() || stdout.trim() || (cause instanceof Error ? cause.message : "");
    super(`${command.join(" ")} failed${exitCode !== null ? ` (exit ${exitCode})` : ""}: ${detail}`, { cause });
    this.name = "CommandError";
    this.command = command;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** Counts spawned processes so tests can show that batching keeps it constant. */
export const spawnCounter = { count: 0 };

export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  spawnCounter.count++;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        maxBuffer: 256 << 20,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
        env: options.env ?? process.env,
        encoding: "utf8",
      },
      (error: ExecFileException | null, stdout: string, stderr: string) => {
        if (error) {
          const code = typeof error.code === "number" ? error.code : null;
          reject(new CommandError([file, ...args], code, stdout, stderr, error));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    // A command that exits before reading all its input (ip -batch in a namespace deleted meanwhile) closes the pipe:
    // its exit status reports the failure, the EPIPE on our side says nothing more.
    child.stdin?.on("error", () => undefined);
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** `ip [-n NS] ARGS…` */
export function ip(netns: string | undefined, args: readonly string[], options?: RunOptions) {
  return run("ip", netns ? ["-n", netns, ...args] : [...args], options);
}

/** `bridge [-n NS] ARGS…` */
export function bridge(netns: string | undefined, args: readonly string[], options?: RunOptions) {
  return run("bridge", netns ? ["-n", netns, ...args] : [...args], options);
}

/** `ip netns exec NS FILE ARGS…`, or FILE ARGS… in the current namespace. */
export function inNetns(netns: string | undefined, file: string, args: readonly string[], options?: RunOptions) {
  return netns ? run("ip", ["netns", "exec", netns, file, ...args], options) : run(file, args, options);
}
