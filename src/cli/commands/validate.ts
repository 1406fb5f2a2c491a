import type { Command } from "commander";
import { hasErrors } from "../../state/issues.ts";
import { validate } from "../../state/validate/index.ts";
import { out, printIssues } from "../io.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";
import { invalidInput, loadForTarget } from "./load.ts";

export interface ValidateFlags extends TargetOptions {
  strict?: boolean;
  allowSameSubnet?: boolean;
  json?: boolean;
}

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check desired state files against the schema and the current host, changing nothing")
    .argument("<file...>", "YAML or JSON files: nmstate states, nmpolicy documents or NodeNetworkConfigurationPolicy manifests (- for stdin)")
    .option("--netns <name>", "validate against the named network namespace")
    .option("--strict", "treat warnings as errors")
    .option("--allow-same-subnet", "do not warn about two addresses of one subnet on an interface")
    .option("--json", "print the issues as JSON")
    .addHelpText(
      "after",
      `
Every problem is reported at once, with file:line:column, the field's path,
what is wrong and how to fix it. Exit status: 0 valid (warnings are printed),
2 invalid or unsupported.

Example:
  nodenet validate --netns lab-node-1 bridge.yaml`,
    )
    .action(async (files: string[], flags: ValidateFlags) => {
      const backend = kernelTarget(flags);
      const loaded = await loadForTarget(backend, files);
      const issues = [...loaded.issues];
      // With schema errors, the rest of the document is still checked, so every problem is reported at once.
      const checkable = loaded.desired ?? loaded.partial;
      if (checkable) issues.push(...loaded.relocate(validate(checkable, await loaded.current(), { allowSameSubnet: Boolean(flags.allowSameSubnet) }).issues));
      const failed = hasErrors(issues) || (flags.strict === true && issues.length > 0);
      if (flags.json) out(JSON.stringify({ valid: !failed, issues }, null, 2));
      else printIssues(issues);
      if (failed) throw invalidInput(flags.strict ? issues.map((i) => ({ ...i, severity: "error" as const })) : issues);
      if (!flags.json) out(issues.length ? `valid, with ${issues.length} warning${issues.length === 1 ? "" : "s"}` : "valid");
    });
}
