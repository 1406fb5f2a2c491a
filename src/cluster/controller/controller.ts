/**
 * `nodenet controller`: the cluster-wide half. While it holds the leader
 * Lease it keeps every policy's status in step with its enactments, and
 * removes enactments whose node or policy is gone. With `webhook`, every
 * replica also serves the policy admission webhook, and the leader keeps it
 * registered (src/cluster/admission/webhook.ts).
 *
 * Status writes are coalesced: any change marks the policy dirty, a short
 * timer recomputes it once, and the status is written only when the
 * conditions would change — so a rollout over many nodes costs writes in
 * proportion to state changes, not to events or reconciles (upstream
 * recomputes policy status in every handler on every reconcile).
 */
import type { Enactment } from "../api/enactment.ts";
import type { NodeState } from "../api/node-state.ts";
import type { Policy } from "../api/policy.ts";
import type { Kube } from "../kube/config.ts";
import { sameConditions } from "../kube/conditions.ts";
import { isConflict, isNotFound } from "../kube/errors.ts";
import { Informer, resourceSource } from "../kube/informer.ts";
import { LeaderElector } from "../kube/leader.ts";
import { isNodeReady, nodeSource, type Node } from "../kube/nodes.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../kube/resources.ts";
import { patchStatus } from "../kube/status.ts";

import { selects } from "../handler/selection.ts";
import { effectiveMaxUnavailable } from "../api/max-unavailable.ts";
import { AdmissionWebhook, type WebhookOptions } from "../admission/webhook.ts";
import { countPolicy, policyConditions, policyVerdict, type NodeFacts } from "./policy-status.ts";

export const CONTROLLER_FIELD_MANAGER = "nodenet-controller";

export interface ControllerOptions {
  kube: Kube;
  namespace: string;
  identity: string;
  /** Coalescing delay for status recomputation. */
  coalesceMs?: number;
  leaseDurationMs?: number;
  log?: (message: string) => void;
  /** Serve the admission webhook (every replica) and register it (the leader). */
  webhook?: WebhookOptions;
}

export class Controller {
  /** Policy status writes made, for the coalescing tests and metrics. */
  statusWrites = 0;
  private readonly options: Required<Omit<ControllerOptions, "webhook">>;
  private readonly elector: LeaderElector;
  /** The admission webhook, when it is enabled. */
  readonly webhook: AdmissionWebhook | undefined;
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private informers: { policies: Informer<Policy>; enactments: Informer<Enactment>; nodes: Informer<Node>; states: Informer<NodeState> } | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: ControllerOptions) {
    this.options = { coalesceMs: 250, leaseDurationMs: 15_000, log: (m) => process.stderr.write(`${new Date().toISOString()} controller: ${m}\n`), ...options };
    const lease = this.options.leaseDurationMs;
    this.elector = new LeaderElector(options.kube, {
      namespace: options.namespace,
      name: "nodenet-controller",
      identity: options.identity,
      leaseDurationMs: lease,
      renewDeadlineMs: Math.round(lease * 0.66),
      retryPeriodMs: Math.round(lease * 0.13),
      onStartedLeading: (signal) => this.lead(signal),
      log: this.options.log,
    });
    this.webhook = options.webhook ? new AdmissionWebhook({ kube: options.kube, namespace: options.namespace, log: this.options.log }, options.webhook) : undefined;
  }

  start(): void {
    this.webhook?.start();
    this.elector.start();
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    await this.webhook?.stop();
    await this.stopInformers();
  }

  private async lead(signal: AbortSignal): Promise<void> {
    const { kube, log } = this.options;
    if (this.webhook) void this.webhook.register(signal);
    const mark = (policy: string | undefined) => policy && this.markDirty(policy);
    const policies = new Informer(kube.config, resourceSource(policyClient(kube)), (e) => mark(e.object.metadata.name), { log });
    const enactments = new Informer(kube.config, resourceSource(enactmentClient(kube)), (e) => {
      mark(e.object.metadata.labels?.["nmstate.io/policy"]);
      if (e.type !== "deleted") void this.collect(e.object);
    }, { log });
    const all = () => policies.list().forEach((p) => mark(p.metadata.name));
    const nodes = new Informer(kube.config, nodeSource(kube), (e) => {
      all();
      if (e.type === "deleted") for (const en of enactments.list()) if (en.metadata.labels?.["nmstate.io/node"] === e.object.metadata.name) void this.collect(en);
    }, { log });
    const states = new Informer(kube.config, resourceSource(nodeStateClient(kube)), (e) => e.type !== "updated" && all(), { log });
    this.informers = { policies, enactments, nodes, states };
    await Promise.all([policies.start(), enactments.start(), nodes.start(), states.start()]);
    log(`leading: ${policies.list().length} policies, ${enactments.list().length} enactments, ${nodes.list().length} nodes`);
    all();
    for (const e of enactments.list()) void this.collect(e);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    await this.stopInformers();
  }

  private async stopInformers(): Promise<void> {
    const informers = this.informers;
    this.informers = undefined;
    if (this.timer) clearTimeout(this.timer);
    if (informers) await Promise.all(Object.values(informers).map((i) => i.stop()));
  }

  private markDirty(policy: string): void {
    this.dirty.add(policy);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.options.coalesceMs);
  }

  private async flush(): Promise<void> {
    const informers = this.informers;
    if (!informers) return;
    const names = [...this.dirty];
    this.dirty.clear();
    const facts: NodeFacts[] = informers.nodes.list().map((n) => ({
      name: n.metadata.name,
      ready: isNodeReady(n),
      handled: Boolean(informers.states.get(n.metadata.name)),
      labels: n.metadata.labels ?? {},
    }));
    for (const name of names) {
      const policy = informers.policies.get(name);
      if (!policy) continue;
      const enactments = informers.enactments.list().filter((e) => e.metadata.labels?.["nmstate.io/policy"] === name);
      const verdict = policyVerdict(countPolicy(policy, facts, enactments, selects));
      const conditions = policyConditions(policy.status?.conditions, verdict);
      // Counted as the handlers count (every selected node), so the status shows the limit they apply.
      const maxUnavailableNodes = effectiveMaxUnavailable(policy.spec?.maxUnavailable, facts.filter((n) => selects(policy.spec?.nodeSelector, n.labels)).length).nodes;
      if (sameConditions(policy.status?.conditions, conditions) && policy.status?.maxUnavailableNodes === maxUnavailableNodes) continue;
      try {
        await patchStatus(policyClient(this.options.kube), name, { conditions, maxUnavailableNodes }, { fieldManager: CONTROLLER_FIELD_MANAGER });
        this.statusWrites++;
      } catch (error) {
        if (!isNotFound(error)) {
          if (!isConflict(error)) this.options.log(`writing the status of ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
          setTimeout(() => this.markDirty(name), isConflict(error) ? 0 : 2_000);
        }
      }
    }
  }

  /** Deletes an enactment whose policy or node no longer exists. */
  private async collect(enactment: Enactment): Promise<void> {
    const informers = this.informers;
    if (!informers) return;
    const policy = enactment.metadata.labels?.["nmstate.io/policy"];
    const node = enactment.metadata.labels?.["nmstate.io/node"];
    const orphan = (policy && !informers.policies.get(policy)) || (node && !informers.nodes.get(node));
    if (!orphan) return;
    try {
      const client = enactmentClient(this.options.kube);
      await client.delete(enactment.metadata.name);
      // A node that is gone cannot revert: its enactment must not wait for it.
      const nodeGone = node && !informers.nodes.get(node);
      if (nodeGone && enactment.metadata.finalizers?.length) await client.mergePatch(enactment.metadata.name, { metadata: { finalizers: null } });
      this.options.log(`removed enactment ${enactment.metadata.name}: its ${policy && !informers.policies.get(policy) ? "policy" : "node"} is gone`);
    } catch (error) {
      this.options.log(`removing enactment ${enactment.metadata.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
