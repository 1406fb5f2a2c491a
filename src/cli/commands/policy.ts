import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { NodenetError } from "../../errors.ts";
import { CaptureError, formatCaptureIssue, renderPolicy } from "../../state/capture/index.ts";
import { readStateFile } from "../../state/parse/index.ts";
import { out, printIssues, readSources, toYaml } from "../io.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";

export function registerPolicy(program: Command): void {
  program
    .command("policy")
    .description("render an nmpolicy document (capture + desiredState) into a desired state")
    .argument("<file>", "policy file (nmstate policy YAML or a NodeNetworkConfigurationPolicy)")
    .option("--netns <name>", "evaluate captures against the named network namespace")
    .option("--current <file>", "evaluate captures against this state file instead of a host")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      `
Captures are evaluated against the current state, then {{ capture.NAME.path }}
templates are replaced. The result is printed, not applied.

Example:
  nodenet policy --netns lab-node-1 bridge-on-default-gw.yaml | nodenet apply --netns lab-node-1 -`,
    )
    .action(async (file: string, flags: TargetOptions & { current?: string; json?: boolean }) => {
      const [source] = readSources([file]);
      const read = readStateFile(source!.text, source!.file);
      printIssues(read.issues);
      const policy = read.envelopes[0]?.envelope;
      if (!policy || read.issues.length) throw new NodenetError("invalid-input", `${file} holds no policy`);
      const current = flags.current ? parse(readFileSync(flags.current, "utf8")) : (await kernelTarget(flags).read()).state;
      const document = policy.kind === "policy" ? { capture: policy.capture, desiredState: policy.desiredState } : { desiredState: policy.state };
      try {
        const rendered = renderPolicy(document, current);
        out(flags.json ? JSON.stringify(rendered.desiredState, null, 2) : toYaml(rendered.desiredState));
      } catch (error) {
        if (error instanceof CaptureError) throw new NodenetError("invalid-input", error.issues.map(formatCaptureIssue).join("\n"));
        throw error;
      }
    });
}
