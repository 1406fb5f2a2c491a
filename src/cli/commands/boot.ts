/** `nodenet boot` and `nodenet service`: bringing a host's network back at boot (ADR 0011). */
import { readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { defaultProbeSettings, type ProbeSettings } from "../../probe/types.ts";
import { hasErrors } from "../../state/issues.ts";
import { bootFromRecord } from "../../txn/boot.ts";
import { applyState } from "../../txn/transaction.ts";
import { err, printIssues } from "../io.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";
import { invalidInput, loadForTarget } from "./load.ts";

/** Exit statuses of boot beyond the common ones (see apply --help). */
const PARTIAL = 8;
const PROBE_FAILED = 4;

function bootProbes(skip: readonly string[]): ProbeSettings {
  const unknown = skip.filter((s) => s !== "gateway" && s !== "dns");
  if (unknown.length) throw new NodenetError("invalid-input", `--skip-probe: "${unknown[0]}" is not a probe; give gateway or dns`);
  const settings = defaultProbeSettings();
  settings.gateway.enabled = !skip.includes("gateway");
  settings.dns.enabled = !skip.includes("dns");
  return settings;
}

const stamp = (line: string) => err(`${new Date().toISOString()} boot: ${line}`);

export function registerBoot(program: Command): void {
  program
    .command("boot")
    .description("apply the persisted record at boot: what nodenet declared on this host comes back after a reboot")
    .option("--netns <name>", "the namespace to bring up (its own record)")
    .option("--record <file>", "the persisted record (default /etc/nodenet/state.yml, /etc/nodenet/netns/NAME.yml with --netns)")
    .option("--no-probes", "do not check the gateway and DNS servers once applied")
    .option("--skip-probe <name>", "skip one probe: gateway or dns (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--probe-retries <n>", "how many more times a failing probe is tried (2 s apart)", (v: string) => Number(v), 5)
    .addHelpText(
      "after",
      `
The record holds every change nodenet committed on this host (apply, commit,
the cluster handler, drift corrections, revert on delete) — never a pending
--no-commit change, nor a --memory-only one. boot applies it again:

  1. the record is read; if it is unreadable or not a valid state, boot names the
     file, applies NOTHING and exits 2: the host keeps what the OS brought up
  2. a NIC the record names but the host lacks is reported (MISSING) and left out,
     with the VLANs over it and the routes through it
  3. the rest is applied part by part, the management part (the default route's
     interface) first; a part that fails is reported (FAILED), left as the OS
     brought it up, and the next part still runs
  4. the gateway and DNS servers are probed; a probe that fails is retried and
     reported — at boot there is no earlier good state, so nothing is rolled back
boot never rewrites the record, and it is run once per boot (the unit in
deploy/systemd/nodenet-boot.service has no Restart=), so it cannot crash-loop.

Exit status: 0 all applied and answering (or no record yet), 2 bad record (nothing
applied), 4 applied but a probe still fails, 8 partly applied (missing NIC or failed
part), 7 a change is in progress.

Examples:
  nodenet boot
  nodenet boot --netns lab-node-2 --record /var/lib/lab/node-2/nodenet/state.yml`,
    )
    .action(async (flags: TargetOptions & { probes: boolean; probeRetries: number; skipProbe: string[] }) => {
      const backend = kernelTarget(flags);
      const started = Date.now();
      stamp(`applying ${backend.recordFile ?? "(no record)"} on ${backend.description}`);
      const outcome = await bootFromRecord(backend, {
        ...(flags.probes ? { probes: bootProbes(flags.skipProbe) } : {}),
        probeRetries: flags.probeRetries,
        log: stamp,
      });
      const probeFailures = outcome.probes.filter((p) => !p.ok).length;
      const summary = `${outcome.applied.length} part(s) applied, ${outcome.failed.length} failed, ${outcome.missing.length} missing, ${probeFailures} probe(s) failing, in ${Date.now() - started} ms`;
      stamp(outcome.empty ? "done: nothing to apply" : `done: ${summary}`);
      if (outcome.failed.length || outcome.missing.length) process.exitCode = PARTIAL;
      else if (probeFailures) process.exitCode = PROBE_FAILED;
    });

  program
    .command("service")
    .description("apply every *.yml of a directory in name order and rename each to .applied (nmstatectl service)")
    .option("-c, --config <dir>", "the directory of state files", "/etc/nmstate")
    .option("--netns <name>", "apply inside the named network namespace")
    .option("--record <file>", "the persisted record the applied files join (default as for apply)")
    .option("--memory-only", "apply without recording: a reboot does not bring these files back")
    .addHelpText(
      "after",
      `
Like 'nmstatectl service' (nmstate.service): the files ending in .yml are applied in
the order of their names, each as one transaction (verified, rolled back on failure);
after a success FILE.yml is renamed FILE.applied so the next boot does not apply it
again — nodenet boot brings it back from the record instead. A file that fails is
rolled back, reported and keeps its name (so it is tried again next time); the
files after it are still applied, as nmstatectl service does.

Exit status: 0 all applied (or none to apply), else the first failing file's apply
status (nmstatectl service exits 0 even then; a unit that failed should say so).

Example: nodenet service -c /etc/nmstate`,
    )
    .action(async (flags: TargetOptions & { config: string }) => {
      const backend = kernelTarget(flags);
      let names: string[];
      try {
        names = readdirSync(flags.config).filter((n) => n.endsWith(".yml")).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          err(`service: ${flags.config} does not exist; nothing to apply`);
          return;
        }
        throw new NodenetError("invalid-input", `--config: cannot read ${flags.config}: ${(error as Error).message}`);
      }
      if (!names.length) err(`service: no *.yml in ${flags.config}; nothing to apply`);
      const failures: NodenetError[] = [];
      for (const name of names) {
        const file = join(flags.config, name);
        try {
          await applyServiceFile(backend, file);
        } catch (error) {
          if (!(error instanceof NodenetError)) throw error;
          err(`service: FAILED ${file}: ${error.message} (left as it is; the next files are still applied)`);
          failures.push(error);
          continue;
        }
        const applied = file.replace(/\.yml$/, ".applied");
        renameSync(file, applied);
        err(`service: applied ${file} (now ${applied})`);
      }
      if (failures.length) {
        const [first] = failures;
        throw new NodenetError(first!.kind, `service: ${failures.length} of ${names.length} file(s) failed; the first: ${first!.message}`);
      }
    });
}

/** One state file of `nodenet service`, as one transaction; errors name the file. */
async function applyServiceFile(backend: ReturnType<typeof kernelTarget>, file: string): Promise<void> {
  const loaded = await loadForTarget(backend, [file]);
  if (!loaded.desired || hasErrors(loaded.issues)) {
    printIssues(loaded.issues.filter((i) => i.severity === "error"));
    const invalid = invalidInput(loaded.issues);
    throw new NodenetError(invalid.kind, `${file}: ${invalid.message}`, { issues: invalid.issues });
  }
  try {
    await applyState(backend, loaded.desired, { timeoutSeconds: 120 });
  } catch (error) {
    if (error instanceof NodenetError) throw new NodenetError(error.kind, `${file}: ${error.message}`, { issues: loaded.relocate(error.issues) });
    throw error;
  }
}
