/**
 * kubectl and Helm as scripts/control-plane/build.sh builds them from Go
 * modules into the control plane's cache (seconds when cached; the first
 * build of each takes minutes, with progress on stderr). Tests use these, not
 * whatever kubectl is on PATH, so they run with the cluster's version.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const BUILD_SCRIPT = new URL("../../scripts/control-plane/build.sh", import.meta.url).pathname;

export type Tool = "kubectl" | "helm";

const built = new Map<Tool, Promise<string>>();

/** The binary's path; fails naming the build script (and its output) when it cannot be built. */
export function tool(name: Tool): Promise<string> {
  let path = built.get(name);
  if (!path) {
    path = new Promise((resolve, reject) => {
      execFile(BUILD_SCRIPT, [`--${name}`], { maxBuffer: 64 << 20, timeout: 1_800_000 }, (error, stdout, stderr) => {
        const bin = stdout.trim().split("\n").at(-1) ?? "";
        if (error || !existsSync(join(bin, name))) {
          reject(new Error(`${name} is missing: scripts/install.sh builds it (${BUILD_SCRIPT} --${name}); the build said:\n${stderr.slice(-4000)}`));
        } else resolve(join(bin, name));
      });
    });
    built.set(name, path);
  }
  return path;
}
