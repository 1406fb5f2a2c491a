/**
 * Starts the rollback watchdog for a kernel target: a detached
 * `nodenet internal-watchdog` that outlives this process (docs/adr/0002).
 * It is started *before* the checkpoint is written and waits for it, so
 * there is no moment at which a checkpoint exists without a watchdog.
 */
import { spawn } from "node:child_process";
import { nodeChildEnv } from "../../node-env.ts";

const cliEntry = () => new URL("../../cli/main.ts", import.meta.url).pathname;

export interface WatchdogTarget {
  stateDir: string;
  checkpointDir: string;
  checkpointId: string;
  netns: string | undefined;
  identity: string | undefined;
  /** The applying process: while it lives, the watchdog waits for the checkpoint to be written. */
  applierPid: number | undefined;
}

export function startWatchdog(target: WatchdogTarget): number {
  const args = [
    "--disable-warning=ExperimentalWarning",
    cliEntry(),
    "internal-watchdog",
    "--state-dir",
    target.stateDir,
    "--checkpoint-dir",
    target.checkpointDir,
    "--checkpoint",
    target.checkpointId,
    ...(target.netns ? ["--netns", target.netns] : []),
    ...(target.identity ? ["--netns-identity", target.identity] : []),
    ...(target.applierPid ? ["--applier", String(target.applierPid)] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: "ignore", env: nodeChildEnv() });
  child.unref();
  return child.pid!;
}
