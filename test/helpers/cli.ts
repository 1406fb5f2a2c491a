/** Runs the real `nodenet` CLI as users do, returning its exit status and output. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

const BIN = new URL("../../bin/nodenet", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function nodenet(args: readonly string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = options.env ? { ...process.env, ...options.env } : process.env;
    const child = execFile(BIN, args, { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(options.input ?? "");
  });
}

/** Writes YAML documents to files in a temp dir removed after the test; returns their paths. */
export function stateFiles(t: Pick<TestContext, "after">, ...documents: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return documents.map((text, i) => {
    const file = join(dir, `state-${i}.yml`);
    writeFileSync(file, text);
    return file;
  });
}
