/**
 * Probes are run from inside the target namespace (a gateway is reachable or
 * not from there). In the current namespace they run in-process; for another
 * one, this file runs as `ip netns exec NS node runner.ts` with the targets as
 * JSON on stdin, and prints the results as JSON — one process per probe round.
 */
import { execFile } from "node:child_process";
import { nodeChildEnv } from "../node-env.ts";
import { probeAll } from "./run.ts";
import type { ProbeResult, ProbeTarget } from "./types.ts";

export async function runProbes(netns: string | undefined, targets: readonly ProbeTarget[], options: { attempts?: number; failFast?: boolean } = {}): Promise<ProbeResult[]> {
  if (targets.length === 0) return [];
  if (!netns) return probeAll(targets, options);
  const longest = Math.max(...targets.map((t) => t.timeoutMs));
  return new Promise((resolve, reject) => {
    const child = execFile(
      "ip",
      ["netns", "exec", netns, process.execPath, "--disable-warning=ExperimentalWarning", new URL(import.meta.url).pathname],
      { timeout: longest + 15_000, maxBuffer: 16 << 20, env: nodeChildEnv() },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`probe runner in ${netns} failed: ${stderr.trim() || error.message}`));
        resolve(JSON.parse(stdout) as ProbeResult[]);
      },
    );
    child.stdin?.end(JSON.stringify({ targets, options }));
  });
}

if (import.meta.main) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { targets, options } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { targets: ProbeTarget[]; options: { attempts?: number; failFast?: boolean } };
  process.stdout.write(JSON.stringify(await probeAll(targets, options)));
}
