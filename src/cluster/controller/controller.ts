/**
 * `nodenet controller`: the cluster-wide half. While it holds the leader
 * Lease it keeps every policy's status in step with its enactments, and
 * removes enactments whose node or policy is gone. With `webhook`, every
 * replica also serves the policy admission webhook, and the leader keeps it
 * registered (src/cluster/admission/webhook.ts).
 *
 * One controller kit (src/cluster/kube/controller-kit.ts) while leading, with
 * two kinds of key: `policy/NAME` (recompute and write its status) and
 * `enactment/NAME` (delete it if its policy or node is gone). Status writes
 * are coalesced: events enqueue a policy `coalesceMs` later, once per burst,
 * and the status is written only when the conditions would change — so a
 * rollout over many nodes costs writes in proportion to state changes, not
 * to events or reconciles (upstream recomputes policy status in every handler
 * on every reconcile). A failed write is retried by the kit's backoff.
 */
import type { Enactment } from "../api/enactment.ts";
import type { NodeState } from "../api/node-state.ts";
import type { Policy } from "../api/policy.ts";
import type { Kube } from "../kube/config.ts";
import { sameConditions } from "../kube/conditions.ts";
import { ControllerKit, type ReconcileResult } from "../kube/controller-kit.ts";
import { isNotFound } from "../kube/errors.ts";
import type { Informer } from "../kube/informer.ts";
import { resourceSource } from "../kube/informer.ts";
import { LeaderElector } from "../kube/leader.ts";
import { isNodeReady, nodeSource, type Node } from "../kube/nodes.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../kube/resources.ts";
import { patchStatus } from "../kube/status.ts";
import { errorFields, lineLogger, silentLogger, type Logger } from "../../log/logger.ts";

import { selects } from "../handler/selection.ts";
import { effectiveMaxUnavailable } from "../api/max-unavailable.ts";
import { AdmissionWebhook, type WebhookOptions } from "../admission/webhook.ts";
import { withoutGoneNodes } from "../pools/allocate.ts";
import { countPolicy, policyConditions, policyVerdict, type NodeFacts } from "./policy-status.ts";

export const CONTROLLER_FIELD_MANAGER = "nodenet-controller";

export interface ControllerOptions {
  kube: Kube;
  namespace: string;
  identity: string;
  /** Coalescing delay for status recomputation. */
  coalesceMs?: number;
  leaseDurationMs?: number;
  log?: Logger;
  /** Serve the admission webhook (every replica) and register it (the leader). */
  webhook?: WebhookOptions;
}

/** Backoff of a failed status write or cleanup (a 409 Conflict: someone wrote first; read the cache again soon). */
const CONTROLLER_RETRY = { baseMs: 250, factor: 2, maxMs: 30_000 };

const POLICY = "policy/";
const ENACTMENT = "enactment/";

interface Caches {
  policies: Informer<Policy>;
  enactments: Informer<Enactment>;
  nodes: Informer<Node>;
  states: Informer<NodeState>;
}

export class Controller {
  /** Policy status writes made, for the coalescing tests and metrics. */
  statusWrites = 0;
  private readonly options: Required<Omit<ControllerOptions, "webhook">>;
  private readonly log: Logger;
  private readonly elector: LeaderElector;
  /** The admission webhook, when it is enabled. */
  readonly webhook: AdmissionWebhook | undefined;
  private kit: ControllerKit | undefined;

  constructor(options: ControllerOptions) {
    this.options = { coalesceMs: 250, leaseDurationMs: 15_000, log: silentLogger, ...options };
    this.log = this.options.log;
    const lease = this.options.leaseDurationMs;
    this.elector = new LeaderElector(options.kube, {
      namespace: options.namespace,
      name: "nodenet-controller",
      identity: options.identity,
      leaseDurationMs: lease,
      renewDeadlineMs: Math.round(lease * 0.66),
      retryPeriodMs: Math.round(lease * 0.13),
      onStartedLeading: (signal) => this.lead(signal),
      log: lineLogger(this.log.child({ part: "leader-election" })),
    });
    this.webhook = options.webhook ? new AdmissionWebhook({ kube: options.kube, namespace: options.namespace, log: this.log.child({ part: "admission" }) }, options.webhook) : undefined;
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
    await this.stopKit();
  }

  private async lead(signal: AbortSignal): Promise<void> {
    const { kube, coalesceMs } = this.options;
    if (this.webhook) void this.webhook.register(signal);
    const kit = new ControllerKit({ config: kube.config, log: this.log, retry: CONTROLLER_RETRY });
    const allPolicies = () => caches.policies.list().map((p) => POLICY + p.metadata.name);
    const caches: Caches = {
      policies: kit.watch(resourceSource(policyClient(kube)), { keys: (e) => [POLICY + e.object.metadata.name], delayMs: coalesceMs }),
      enactments: kit.watch(resourceSource(enactmentClient(kube)), {
        keys: (e) => {
          const policy = e.object.metadata.labels?.["nmstate.io/policy"];
          return [...(policy ? [POLICY + policy] : []), ...(e.type !== "deleted" ? [ENACTMENT + e.object.metadata.name] : [])];
        },
        delayMs: coalesceMs,
      }),
      nodes: kit.watch(nodeSource(kube), {
        keys: (e) => [
          ...allPolicies(),
          ...(e.type === "deleted" ? caches.enactments.list().filter((en) => en.metadata.labels?.["nmstate.io/node"] === e.object.metadata.name).map((en) => ENACTMENT + en.metadata.name) : []),
        ],
        delayMs: coalesceMs,
      }),
      // A node that starts (or stops) reporting changes whether the policy counts it.
      states: kit.watch(resourceSource(nodeStateClient(kube)), { keys: (e) => (e.type !== "updated" ? allPolicies() : []), delayMs: coalesceMs }),
    };
    kit.build(({ key }) => (key.startsWith(POLICY) ? this.writeStatus(caches, key.slice(POLICY.length)) : this.collect(caches, key.slice(ENACTMENT.length))));
    this.kit = kit;
    await kit.start();
    this.log.info({ policies: caches.policies.list().length, enactments: caches.enactments.list().length, nodes: caches.nodes.list().length }, "leading");
    for (const key of allPolicies()) kit.enqueue(key);
    for (const e of caches.enactments.list()) kit.enqueue(ENACTMENT + e.metadata.name);
    kit.run();
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    await this.stopKit();
  }

  private async stopKit(): Promise<void> {
    const kit = this.kit;
    this.kit = undefined;
    await kit?.stop();
  }

  /** Recomputes a policy's status from its enactments and the nodes; writes only what changed. */
  private async writeStatus(caches: Caches, name: string): Promise<ReconcileResult> {
    const policy = caches.policies.get(name);
    if (!policy) return {};
    const facts: NodeFacts[] = caches.nodes.list().map((n) => ({
      name: n.metadata.name,
      ready: isNodeReady(n),
      handled: Boolean(caches.states.get(n.metadata.name)),
      labels: n.metadata.labels ?? {},
    }));
    const enactments = caches.enactments.list().filter((e) => e.metadata.labels?.["nmstate.io/policy"] === name);
    const verdict = policyVerdict(countPolicy(policy, facts, enactments, selects));
    const conditions = policyConditions(policy.status?.conditions, verdict);
    // Counted as the handlers count (every selected node), so the status shows the limit they apply.
    const maxUnavailableNodes = effectiveMaxUnavailable(policy.spec?.maxUnavailable, facts.filter((n) => selects(policy.spec?.nodeSelector, n.labels)).length).nodes;
    await this.releaseGoneNodesAddresses(caches, policy);
    if (sameConditions(policy.status?.conditions, conditions) && policy.status?.maxUnavailableNodes === maxUnavailableNodes) return {};
    try {
      await patchStatus(policyClient(this.options.kube), name, { conditions, maxUnavailableNodes }, { fieldManager: CONTROLLER_FIELD_MANAGER });
      this.statusWrites++;
      this.log.debug({ policy: name, generation: policy.metadata.generation ?? 1, status: verdict.true }, "policy status written");
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return {};
  }

  /**
   * A Node deleted from the cluster has no handler left to give its pool
   * addresses back: they are released here, conditional on the
   * resourceVersion read (a 409 is retried by the kit), so no handler's
   * allocation in between is lost.
   */
  private async releaseGoneNodesAddresses(caches: Caches, policy: Policy): Promise<void> {
    const pruned = withoutGoneNodes(policy.status?.addressAllocations ?? [], (node) => Boolean(caches.nodes.get(node)));
    if (!pruned) return;
    const { resourceVersion } = policy.metadata;
    await patchStatus(policyClient(this.options.kube), policy.metadata.name, { addressAllocations: pruned.kept }, { fieldManager: CONTROLLER_FIELD_MANAGER, ...(resourceVersion ? { resourceVersion } : {}) });
    this.log.info({ policy: policy.metadata.name, nodes: pruned.gone }, "released the pool addresses of deleted nodes");
  }

  /** Deletes an enactment whose policy or node no longer exists. */
  private async collect(caches: Caches, name: string): Promise<ReconcileResult> {
    const enactment = caches.enactments.get(name);
    if (!enactment) return {};
    const policy = enactment.metadata.labels?.["nmstate.io/policy"];
    const node = enactment.metadata.labels?.["nmstate.io/node"];
    const policyGone = Boolean(policy && !caches.policies.get(policy));
    const nodeGone = Boolean(node && !caches.nodes.get(node));
    if (!policyGone && !nodeGone) return {};
    try {
      const client = enactmentClient(this.options.kube);
      await client.delete(name);
      // A node that is gone cannot revert: its enactment must not wait for it.
      if (nodeGone && enactment.metadata.finalizers?.length) await client.mergePatch(name, { metadata: { finalizers: null } });
      this.log.info({ enactment: name, policy, node }, `removed the enactment: its ${policyGone ? "policy" : "node"} is gone`);
    } catch (error) {
      this.log.warn({ enactment: name, ...errorFields(error) }, "removing the enactment failed");
      throw error;
    }
    return {};
  }
}
