/**
 * Starts the rollback watchdog for a kernel target: a detached
 * `nodenet internal-watchdog` that outlives this process (docs/adr/0002).
 */
import { spawn } from "node:child_process";
import { nodeChildEnv } from "../../node-env.ts";

const cliEntry = () => new URL("../../cli/main.ts", import.meta.url).pathname;

export function startWatchdog(stateDir: string, checkpointId: string, netns: string | undefined): number {
  const args = ["--disable-warning=ExperimentalWarning", cliEntry(), "internal-watchdog", "--state-dir", stateDir, "--checkpoint", checkpointId, ...(netns ? ["--netns", netns] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: "ignore", env: nodeChildEnv() });
  child.unref();
  return child.pid!;
}
