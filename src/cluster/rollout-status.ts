/**
 * Follows a policy's rollout: watches the policy and its enactments and draws
 * progress (a bar on a terminal, a line per change otherwise) until the
 * policy's status is Available or Degraded.
 */
import type { Enactment } from "./api/enactment.ts";
import type { Policy } from "./api/policy.ts";
import type { Kube } from "./kube/config.ts";
import { resourceSource } from "./kube/informer.ts";
import { ControllerKit } from "./kube/controller-kit.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
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
  /** Where the informers' troubles go (none: dropped). */
  log?: Logger;
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

/**
 * Follows a rollout with the controller kit: both watches enqueue the
 * policy's key, and each reconcile draws the line and decides whether the
 * rollout is over (polling every 500 ms for the quiet period and the deadline).
 */
export async function followRollout(kube: Kube, name: string, options: Options): Promise<RolloutResult> {
  const policies = policyClient(kube);
  if (!(await policies.get(name))) return { kind: "missing" };
  let lastEventAt = Date.now();
  /** The controller writes the policy's status a moment after the enactments change: wait for quiet. */
  const QUIET_MS = 1_500;
  const POLL_MS = 500;
  const kit = new ControllerKit({ config: kube.config, log: options.log ?? silentLogger });
  const changed = () => {
    lastEventAt = Date.now();
    return [name];
  };
  const policyInformer = kit.watch(resourceSource(policies, { fieldSelector: `metadata.name=${name}` }), { keys: changed });
  const enactmentInformer = kit.watch(resourceSource(enactmentClient(kube), { labelSelector: `nmstate.io/policy=${name}` }), { keys: changed });
  const deadline = Date.now() + options.timeoutMs;
  let last = "";
  let finish: (result: RolloutResult) => void = () => undefined;
  const finished = new Promise<RolloutResult>((resolve) => (finish = resolve));
  const look = (): RolloutResult | undefined => {
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
    return undefined;
  };
  kit.build(async () => {
    const result = look();
    if (!result) return { requeueAfterMs: POLL_MS };
    finish(result);
    return {};
  });
  try {
    await kit.start();
    kit.enqueue(name);
    kit.run();
    return await finished;
  } finally {
    await kit.stop();
  }
}
