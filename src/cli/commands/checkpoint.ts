import type { Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { KernelBackend } from "../../host/kernel/backend.ts";
import { readCheckpoint } from "../../txn/checkpoint.ts";
import { acquireLock } from "../../txn/lock.ts";
import { commitCheckpoint, rollbackCheckpoint } from "../../txn/transaction.ts";
import { err } from "../io.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";

export function registerCheckpointCommands(program: Command): void {
  program
    .command("commit")
    .description("keep the change left pending by 'apply --no-commit'")
    .option("--netns <name>", "the namespace the change is pending in")
    .action(async (flags: TargetOptions) => {
      const backend = kernelTarget(flags);
      const lock = acquireLock(backend.stateDir, backend.description);
      try {
        const checkpoint = await commitCheckpoint(backend);
        err(`committed the change of ${checkpoint.createdAt}`);
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
      const lock = acquireLock(backend.stateDir, backend.description);
      try {
        const checkpoint = readCheckpoint(backend.stateDir);
        if (!checkpoint) throw new NodenetError("invalid-input", `no change is pending on ${backend.description}`);
        await rollbackCheckpoint(backend, checkpoint);
        err(`rolled back the change of ${checkpoint.createdAt}; the host is as before`);
      } finally {
        lock.release();
      }
    });

  // Started detached by apply; see src/txn/watchdog.ts.
  program
    .command("internal-watchdog", { hidden: true })
    .requiredOption("--state-dir <dir>")
    .requiredOption("--checkpoint <id>")
    .option("--netns <name>")
    .action(async (flags: { stateDir: string; checkpoint: string; netns?: string }) => {
      const backend = new KernelBackend({ stateDir: flags.stateDir, ...(flags.netns ? { netns: flags.netns } : {}) });
      for (;;) {
        const checkpoint = readCheckpoint(flags.stateDir);
        if (!checkpoint || checkpoint.id !== flags.checkpoint || checkpoint.deadline === null) return;
        const wait = checkpoint.deadline - Date.now();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
          continue;
        }
        let lock;
        try {
          lock = acquireLock(flags.stateDir, backend.description);
        } catch {
          // The applying process is still at work; it will finish or die.
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        try {
          const still = readCheckpoint(flags.stateDir);
          if (still?.id === flags.checkpoint) await rollbackCheckpoint(backend, still, { fromWatchdog: true });
        } finally {
          lock.release();
        }
        return;
      }
    });
}
