/**
 * nodenet — declarative, self-healing host networking (nmstate-compatible).
 * This file only assembles the commands; each lives in ./commands.
 */
import { Command, CommanderError } from "commander";
import { exitCodeOf, NodenetError } from "../errors.ts";
import { registerApply } from "./commands/apply.ts";
import { registerBoot } from "./commands/boot.ts";
import { registerCheckpointCommands } from "./commands/checkpoint.ts";
import { registerCluster } from "./commands/cluster.ts";
import { registerDashboard } from "./commands/dashboard.ts";
import { registerDiff } from "./commands/diff.ts";
import { registerLab } from "./commands/lab.ts";
import { registerPolicy } from "./commands/policy.ts";
import { registerRollout } from "./commands/rollout.ts";
import { registerShow } from "./commands/show.ts";
import { registerValidate } from "./commands/validate.ts";
import { dropOutputToClosedPipes, err } from "./io.ts";
import { kernelTarget } from "./target.ts";
import { recoverOrphanedCheckpoint } from "../txn/orphan.ts";
import { rollbackCheckpoint } from "../txn/transaction.ts";
import { rmSync } from "node:fs";
import { staleTransactionDirs } from "../host/kernel/netns-identity.ts";
import { stateRoot } from "../host/kernel/paths.ts";
import { readCheckpoint } from "../txn/checkpoint.ts";
import { watchdogAlive } from "../txn/watchdog.ts";

/** Lock and checkpoint directories of namespaces deleted while their change was pending and its watchdog dead. */
function pruneStaleTransactionDirs(): void {
  const inUse = (dir: string) => {
    const checkpoint = readCheckpoint(dir);
    return checkpoint !== undefined && watchdogAlive(checkpoint);
  };
  for (const dir of staleTransactionDirs(stateRoot(), inUse)) rmSync(dir, { recursive: true, force: true });
}

/** The commands that act on one target: each first rolls back a change whose watchdog is gone (src/txn/orphan.ts). */
const TARGET_COMMANDS = new Set(["show", "validate", "diff", "apply", "commit", "rollback", "policy"]);

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("nodenet")
    .description("Declarative, self-healing host networking for Kubernetes nodes — nmstate-compatible.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .hook("preAction", async (_program, action) => {
      if (!TARGET_COMMANDS.has(action.name())) return;
      const backend = kernelTarget(action.opts());
      try {
        const outcome = await recoverOrphanedCheckpoint(backend, (checkpoint) => rollbackCheckpoint(backend, checkpoint));
        if (outcome.action !== "none") err(`nodenet: ${outcome.message}`);
        pruneStaleTransactionDirs();
      } catch (error) {
        err(`warning: could not recover the change left pending on ${backend.description}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  registerShow(program);
  registerValidate(program);
  registerDiff(program);
  registerApply(program);
  registerCheckpointCommands(program);
  registerBoot(program);
  registerPolicy(program);
  registerCluster(program);
  registerRollout(program);
  registerDashboard(program);
  registerLab(program);
  program.addHelpText(
    "after",
    `
Every command takes --netns NAME to act inside a network namespace.
Exit status: 0 ok, 2 invalid input, 3 verification failed, 4 probe failed,
5 kernel error, 6 ROLLBACK FAILED, 7 another change pending or running.`,
  );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (Number(process.versions.node.split(".")[0]) < 24) {
    process.stderr.write(`nodenet needs Node.js 24 or newer (this is ${process.version}); run it through 'npx nodenet' in the project\n`);
    return 1;
  }
  dropOutputToClosedPipes();
  try {
    await buildProgram().parseAsync(argv);
    // Commands that report through the exit status (rollout status, lab exec) set it themselves.
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof NodenetError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`nodenet bug: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitCodeOf(error);
  }
}

if (import.meta.main) process.exitCode = await main(process.argv);
