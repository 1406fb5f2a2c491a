import type { Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { KernelBackend } from "../../host/kernel/backend.ts";
import { readCheckpoint } from "../../txn/checkpoint.ts";
import { lockTarget } from "../../txn/lock.ts";
import { commitCheckpoint, describeRestored, rollbackCheckpoint } from "../../txn/transaction.ts";
import { runWatchdog } from "../../txn/watchdog.ts";
import { err } from "../io.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";

export function registerCheckpointCommands(program: Command): void {
  program
    .command("commit")
    .description("keep the change left pending by 'apply --no-commit'")
    .option("--netns <name>", "the namespace the change is pending in")
    .option("--record <file>", "the persisted record the change joins (default as for apply)")
    .option("--memory-only", "keep the change running only: a reboot does not bring it back")
    .action(async (flags: TargetOptions) => {
      const backend = kernelTarget(flags);
      const lock = lockTarget(backend);
      try {
        const checkpoint = await commitCheckpoint(backend);
        err(`committed the change of ${checkpoint.createdAt}`);
        if (checkpoint.recordWarning) err(`warning: ${checkpoint.recordWarning}`);
      } finally {
        lock.release();
      }
    });

  program
    .command("rollback")
    .description("undo the pending change (from 'apply --no-commit', or one whose rollback failed)")
    .option("--netns <name>", "the namespace the change is pending in")
    .action(async (flags: TargetOptions) => {
      const backend = kernelTarget(flags);
      const lock = lockTarget(backend);
      try {
        const checkpoint = readCheckpoint(backend.checkpointDir);
        if (!checkpoint) throw new NodenetError("invalid-input", `no change is pending on ${backend.description}`);
        await rollbackCheckpoint(backend, checkpoint);
        err(`rolled back the change of ${checkpoint.createdAt}; ${await describeRestored(backend, checkpoint)}`);
      } finally {
        lock.release();
      }
    });

  // Started detached by apply; see src/txn/watchdog.ts.
  program
    .command("internal-watchdog", { hidden: true })
    .requiredOption("--state-dir <dir>")
    .requiredOption("--checkpoint-dir <dir>")
    .requiredOption("--checkpoint <id>")
    .option("--netns <name>")
    .option("--netns-identity <identity>")
    .option("--applier <pid>", "", Number)
    .action(async (flags: { stateDir: string; checkpointDir: string; checkpoint: string; netns?: string; netnsIdentity?: string; applier?: number }) => {
      const backend = new KernelBackend({
        stateDir: flags.stateDir,
        checkpointDir: flags.checkpointDir,
        ...(flags.netns ? { netns: flags.netns } : {}),
        ...(flags.netnsIdentity ? { netnsIdentity: flags.netnsIdentity } : {}),
      });
      await runWatchdog(backend, flags.checkpoint, {
        ...(flags.applier ? { applierPid: flags.applier } : {}),
        rollback: (checkpoint) => rollbackCheckpoint(backend, checkpoint, { fromWatchdog: true }),
      });
    });
}
