/**
 * The control-plane binaries, built from Go modules by
 * scripts/control-plane/build.sh into a cache outside the repository. The
 * script is idempotent (0.01 s when everything is there) and prints the bin
 * directory as its last line; its progress goes to stderr.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const BUILD_SCRIPT = new URL("../../../scripts/control-plane/build.sh", import.meta.url).pathname;

export const BINARY_NAMES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

export interface Binaries {
  dir: string;
  path(name: BinaryName): string;
}

export function binariesIn(dir: string): Binaries {
  return { dir, path: (name) => join(dir, name) };
}

/**
 * Runs build.sh. `onProgress` receives its progress lines; the first one
 * means a build is really happening (the fast path prints nothing).
 */
export function ensureBinaries(onProgress: (line: string) => void = () => undefined): Promise<Binaries> {
  return new Promise((resolve, reject) => {
    const child = spawn(BUILD_SCRIPT, [], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onProgress(line);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (partial.trim()) onProgress(partial);
      const dir = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0) return reject(new Error(`${BUILD_SCRIPT} failed (exit ${code}); its progress lines above say where`));
      const missing = BINARY_NAMES.filter((b) => !existsSync(join(dir, b)));
      if (!dir || missing.length) return reject(new Error(`${BUILD_SCRIPT} printed "${dir}" but ${missing.join(", ")} are not there`));
      resolve(binariesIn(dir));
    });
  });
}
