import type { Command } from "commander";
import { diffStates } from "../../state/diff.ts";
import { hasErrors } from "../../state/issues.ts";
import { plan } from "../../state/plan/index.ts";
import { validate } from "../../state/validate/index.ts";
import { out, printIssues } from "../io.ts";
import { renderDiff, renderPlan } from "../render.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";
import { invalidInput, loadForTarget } from "./load.ts";

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description("show what applying the files would change, changing nothing")
    .argument("<file...>", "desired state files (- for stdin)")
    .option("--netns <name>", "compare against the named network namespace")
    .option("--json", "print the difference as JSON")
    .option("--plan", "also print the operations apply would run (as iproute2 commands)")
    .addHelpText(
      "after",
      `
The desired state is merged over the current one with nmstate's rules: only
named interfaces are touched; objects merge; lists (ports, addresses) are
replaced whole; routes and rules are added, or removed by 'state: absent'
entries whose missing fields match anything; dns-resolver.config replaces the
static DNS configuration. Interfaces touched as a consequence (ports joining a
bridge, VLANs on a removed bond) are listed with the reason.

Example:
  nodenet diff --netns lab-node-1 --plan bridge.yaml`,
    )
    .action(async (files: string[], flags: TargetOptions & { json?: boolean; plan?: boolean }) => {
      const backend = kernelTarget(flags);
      const loaded = await loadForTarget(backend, files);
      const issues = [...loaded.issues];
      const validation = loaded.desired ? validate(loaded.desired, await loaded.current()) : undefined;
      if (validation) issues.push(...loaded.relocate(validation.issues));
      printIssues(issues);
      if (!validation || hasErrors(issues)) throw invalidInput(issues);
      const diff = diffStates(validation.merged);
      const operations = flags.plan || flags.json ? plan(validation.merged) : [];
      if (flags.json) {
        out(JSON.stringify({ diff, ...(flags.plan ? { operations } : {}) }, null, 2));
        return;
      }
      out(renderDiff(diff));
      if (flags.plan) out(operations.length ? `\nplan (${operations.length} operations):\n${renderPlan(backend, operations)}` : "\nplan: nothing to do");
    });
}
