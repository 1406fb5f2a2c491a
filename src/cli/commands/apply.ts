import { Option, type Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { defaultProbeSettings, describeFailure, describeTarget, type ProbeSettings } from "../../probe/types.ts";
import { hasErrors, type Issue } from "../../state/issues.ts";
import { applyState, type ApplyEvent } from "../../txn/transaction.ts";
import { err, out, positiveSeconds, printIssues } from "../io.ts";
import { renderDiff, renderPlan } from "../render.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";
import { invalidInput, loadForTarget } from "./load.ts";

interface ApplyFlags extends TargetOptions {
  commit: boolean;
  timeout: number;
  verify: boolean;
  probes: boolean;
  probe: string[];
  probeTimeout: number;
  skipProbe: string[];
  dnsProbeName: string;
  strict?: boolean;
  allowSameSubnet?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** The whole of a failure for `--json`: the error line shows only the first few of its details. */
function failureJson(error: NodenetError): string {
  return JSON.stringify({ error: { kind: error.kind, message: error.message, restored: error.restored, details: error.details, issues: error.issues } }, null, 2);
}

/** `tcp:HOST:PORT` (HOST may be [v6]). */
export function parseTcpProbe(text: string, timeoutMs: number) {
  const match = /^tcp:(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) throw new NodenetError("invalid-input", `--probe "${text}": expected tcp:HOST:PORT, e.g. tcp:192.0.2.10:6443`);
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port, timeoutMs };
}

export function probeSettingsFromFlags(flags: Pick<ApplyFlags, "probes" | "probe" | "probeTimeout" | "skipProbe" | "dnsProbeName">): ProbeSettings | undefined {
  if (!flags.probes) return undefined;
  const timeoutMs = flags.probeTimeout * 1000;
  const settings = defaultProbeSettings();
  settings.gateway = { enabled: !flags.skipProbe.includes("gateway"), timeoutMs };
  settings.dns = { enabled: !flags.skipProbe.includes("dns"), timeoutMs, name: flags.dnsProbeName };
  settings.tcp = flags.probe.map((p) => parseTcpProbe(p, timeoutMs));
  return settings;
}

function reporter(quiet: boolean, relocate: (issues: readonly Issue[]) => Issue[]) {
  return (event: ApplyEvent) => {
    if (quiet) return;
    switch (event.type) {
      case "validated":
        printIssues(relocate(event.warnings));
        break;
      case "planned":
        err(event.operations.length ? `${renderDiff(event.diff)}\n${event.operations.length} operations` : "no changes: the host already has this state (no kernel writes)");
        break;
      case "checkpoint":
        err(`checkpoint ${event.id.slice(0, 8)} saved${event.deadline ? `; rolled back automatically unless committed by ${new Date(event.deadline).toLocaleTimeString()}` : ""}`);
        break;
      case "executed":
        err(`applied ${event.operations} operations in ${event.ms} ms`);
        break;
      case "verified":
        err(`verified: the host matches the desired state (${event.attempts} read${event.attempts === 1 ? "" : "s"}, ${event.ms} ms)`);
        break;
      case "probe-skipped":
        err(`warning: probe ${event.target} skipped: ${event.detail}`);
        break;
      case "probed":
        for (const r of event.results) err(r.ok ? `probe ok: ${describeTarget(r.target)} (${r.detail}, ${r.elapsedMs} ms)` : `probe FAILED: ${describeFailure(r)}`);
        break;
      case "rolling-back":
        err(`rolling back: ${event.reason}`);
        break;
      case "rolled-back":
        err(`rolled back in ${event.ms} ms; ${event.outcome}`);
        break;
      case "committed":
        err("committed");
        break;
      case "record-warning":
        err(`warning: ${event.detail}`);
        break;
      case "pending":
        err(`change pending: run 'nodenet commit' to keep it or 'nodenet rollback' to undo it; it is rolled back at ${new Date(event.deadline).toLocaleTimeString()} otherwise`);
        break;
    }
  };
}

export function registerApply(program: Command): void {
  program
    .command("apply")
    .description("apply desired state files transactionally: verify, probe, then commit — or roll back")
    .argument("<file...>", "desired state files (- for stdin); several files form one change")
    .option("--netns <name>", "apply inside the named network namespace")
    .option("--memory-only", "change the running host only: a reboot does not bring this change back")
    .option("--record <file>", "the persisted record committed changes join (default /etc/nodenet/state.yml, /etc/nodenet/netns/NAME.yml with --netns)")
    .option("--no-commit", "leave the change pending until 'nodenet commit' (or roll back at --timeout)")
    .addOption(new Option("--timeout <seconds>", "roll back unless committed within this time, even if nodenet is killed").argParser(positiveSeconds("--timeout")).default(60))
    .option("--no-verify", "do not read the host back to check the result")
    .option("--no-probes", "do not run connectivity probes before committing")
    .option("--probe <tcp:HOST:PORT>", "also require a TCP connection to this target (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--skip-probe <name>", "skip one default probe: gateway or dns (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .addOption(new Option("--probe-timeout <seconds>", "how long each probe may try").argParser(positiveSeconds("--probe-timeout")).default(20))
    .option("--dns-probe-name <name>", "name each DNS server must resolve", "localhost")
    .option("--strict", "refuse warnings too (e.g. the management interface left without an address)")
    .option("--allow-same-subnet", "do not warn about two addresses of one subnet on an interface")
    .option("--dry-run", "show the plan and change nothing")
    .option("-q, --quiet", "print only errors")
    .option("--json", "on failure, print the error with every detail (all mismatches, probe failures, issues) as JSON on stdout")
    .addHelpText(
      "after",
      `
What happens:
  1. the files are validated against the host; any error stops here, nothing touched
  2. the change is planned (removals first, controllers before ports, base interfaces
     before VLANs, links up before addresses, addresses before routes)
  3. a checkpoint (the state that undoes the change) is saved and a watchdog started
  4. the plan runs in batches through 'ip -batch'
  5. the host is read back: every declared key must hold
  6. probes: the default gateway answers, each DNS server answers, each --probe connects
     (a probe that already failed before the change is skipped with a warning)
  7. commit — or, on any failure, roll back and verify the host is as before
  8. the committed change joins the persisted record that 'nodenet boot' applies after a
     reboot (not with --memory-only; a pending --no-commit change joins it at 'nodenet commit')

Exit status: 0 applied (or nothing to do), 2 invalid input, 3 verification failed,
4 probe failed, 5 kernel error, 6 ROLLBACK FAILED, 7 another change is pending.

Examples:
  nodenet apply --netns lab-node-1 bridge.yaml
  nodenet apply --no-commit --timeout 120 uplink.yaml && nodenet commit`,
    )
    .action(async (files: string[], flags: ApplyFlags) => {
      const backend = kernelTarget(flags);
      const loaded = await loadForTarget(backend, files);
      printIssues(loaded.issues.filter((i) => i.severity === "error"));
      if (!loaded.desired || hasErrors(loaded.issues)) {
        const invalid = invalidInput(loaded.issues);
        if (flags.json) out(failureJson(invalid));
        throw invalid;
      }
      const probes = probeSettingsFromFlags(flags);
      try {
        const result = await applyState(backend, loaded.desired, {
          commit: flags.commit,
          timeoutSeconds: flags.timeout,
          verify: flags.verify,
          ...(probes ? { probes } : {}),
          validation: { allowSameSubnet: Boolean(flags.allowSameSubnet) },
          strict: Boolean(flags.strict),
          dryRun: Boolean(flags.dryRun),
          onEvent: reporter(Boolean(flags.quiet), loaded.relocate),
        });
        if (flags.dryRun) out(result.operations.length ? renderPlan(backend, result.operations) : "nothing to do");
      } catch (error) {
        if (flags.json && error instanceof NodenetError) out(failureJson(error));
        if (error instanceof NodenetError && error.issues.length) {
          printIssues(loaded.relocate(error.issues));
          throw new NodenetError(error.kind, `${error.issues.filter((i) => i.severity === "error").length || error.issues.length} problem(s); nothing was changed`);
        }
        throw error;
      }
    });
}

