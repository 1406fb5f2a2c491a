/**
 * Follows a policy's rollout: watches the policy and its enactments and draws
 * progress (a bar on a terminal, a line per change otherwise) until the
 * policy's status is Available or Degraded.
 */
import type { Enactment } from "./api/enactment.ts";
import type { Policy } from "./api/policy.ts";
import type { Kube } from "./kube/config.ts";
import { Informer, resourceSource } from "./kube/informer.ts";
import { enactmentClient, policyClient } from "./kube/resources.ts";
import { currentPhase } from "./handler/enactment-conditions.ts";

export type RolloutResult =
  | { kind: "available"; message: string }
  | { kind: "degraded"; message: string; failures: { node: string; phase: string; message: string }[] }
  | { kind: "missing" }
  | { kind: "timeout"; message: string };

interface Options {
  timeoutMs: number;
  tty: boolean;
  write: (text: string) => void;
}

export function progressLine(policy: Policy | undefined, enactments: readonly Enactment[], width = 24): string {
  const generation = policy?.metadata.generation ?? 1;
  const current = enactments.filter((e) => e.status?.policyGeneration === generation);
  const count = (phase: string) => current.filter((e) => currentPhase(e.status?.conditions) === phase).length;
  const total = Math.max(enactments.length, 1);
  const done = count("Available");
  const bad = count("Failing") + count("Aborted");
  const filled = Math.round((done / total) * width);
  const failed = Math.round((bad / total) * width);
  const bar = `${"█".repeat(filled)}${"▓".repeat(Math.min(failed, width - filled))}${"░".repeat(Math.max(0, width - filled - failed))}`;
  const parts = [`${done}/${enactments.length} nodes configured`];
  for (const phase of ["Progressing", "Pending", "Failing", "Aborted"]) if (count(phase)) parts.push(`${count(phase)} ${phase.toLowerCase()}`);
  return `[${bar}] ${parts.join(", ")}`;
}

export async function followRollout(kube: Kube, name: string, options: Options): Promise<RolloutResult> {
  const policies = policyClient(kube);
  if (!(await policies.get(name))) return { kind: "missing" };
  let wake: () => void = () => undefined;
  let lastEventAt = Date.now();
  const changed = () => {
    lastEventAt = Date.now();
    wake();
  };
  /** The controller writes the policy's status a moment after the enactments change: wait for quiet. */
  const QUIET_MS = 1_500;
  const policyInformer = new Informer(kube.config, resourceSource(policies, { fieldSelector: `metadata.name=${name}` }), changed);
  const enactmentInformer = new Informer(kube.config, resourceSource(enactmentClient(kube), { labelSelector: `nmstate.io/policy=${name}` }), changed);
  await Promise.all([policyInformer.start(), enactmentInformer.start()]);
  const deadline = Date.now() + options.timeoutMs;
  let last = "";
  try {
    for (;;) {
      const policy = policyInformer.get(name);
      const enactments = enactmentInformer.list().sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      const line = progressLine(policy, enactments);
      if (line !== last) {
        options.write(options.tty ? `\r\x1b[2K${line}` : `${line}\n`);
        last = line;
      }
      const verdict = policy?.status?.conditions?.find((c) => c.status === "True");
      const settled = enactments.every((e) => e.status?.policyGeneration === (policy?.metadata.generation ?? 1)) && Date.now() - lastEventAt >= QUIET_MS;
      if (verdict?.type === "Available" && settled) {
        if (options.tty) options.write("\n");
        return { kind: "available", message: verdict.message ?? "Available" };
      }
      if (verdict?.type === "Degraded" && settled && !enactments.some((e) => ["Progressing", "Pending"].includes(currentPhase(e.status?.conditions) ?? ""))) {
        if (options.tty) options.write("\n");
        const failures = enactments
          .filter((e) => ["Failing", "Aborted"].includes(currentPhase(e.status?.conditions) ?? ""))
          .map((e) => {
            const c = e.status?.conditions?.find((x) => x.status === "True");
            return { node: e.metadata.labels?.["nmstate.io/node"] ?? e.metadata.name, phase: c?.type ?? "?", message: c?.message ?? "" };
          });
        return { kind: "degraded", message: verdict.message ?? "Degraded", failures };
      }
      if (!policy) return { kind: "missing" };
      if (Date.now() > deadline) return { kind: "timeout", message: line };
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 500);
      });
    }
  } finally {
    await Promise.all([policyInformer.stop(), enactmentInformer.stop()]);
  }
}
