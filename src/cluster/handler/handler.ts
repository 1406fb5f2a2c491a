/**
 * `nodenet handler`: kubernetes-nmstate's handler on nodenet's engine, one per
 * node, running in the node's network namespace (hostNetwork in a cluster; the
 * node's namespace in the lab).
 *
 * It reports the node's NodeNetworkState when the host changes, enacts every
 * policy that selects the node (a slot at a time, with probes and automatic
 * rollback), and corrects drift within seconds of a manual change. It starts
 * by cleaning up after a previous run that died: a pending checkpoint is
 * rolled back and any rollout slot it held is given back.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { KernelBackend } from "../../host/kernel/backend.ts";
import { processAlive } from "../../process-alive.ts";
import { watchKernel, type KernelWatch } from "../../host/kernel/events.ts";
import { readCheckpoint } from "../../txn/checkpoint.ts";
import { acquireLock, type Lock } from "../../txn/lock.ts";
import { rollbackCheckpoint } from "../../txn/transaction.ts";
import { ENACTMENT_NODE_LABEL, ENACTMENT_POLICY_LABEL, type Enactment } from "../api/enactment.ts";
import type { Policy } from "../api/policy.ts";
import type { Kube } from "../kube/config.ts";
import { EventRecorder } from "../kube/events.ts";
import { Informer, resourceSource, type InformerEvent } from "../kube/informer.ts";

import { nodeSource, type Node } from "../kube/nodes.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../kube/resources.ts";
import type { HandlerContext } from "./context.ts";
import { recoverDrain } from "./drain.ts";
import { kubeDrainApi } from "./drain-kube.ts";
import { DriftGuard } from "./drift-guard.ts";
import { EnactmentStore } from "./enactments.ts";
import { HandlerMetrics, serveHealth } from "./metrics.ts";
import { NodeStateReporter } from "./node-state.ts";
import { apiEndpoint } from "./probes.ts";
import { WorkQueue } from "./queue.ts";
import { reconcilePolicy } from "./reconcile.ts";
import { releaseSlots } from "./rollout.ts";
import { selects } from "./selection.ts";
import { currentPhase } from "./enactment-conditions.ts";
import { kubeAddressPools } from "../pools/index.ts";

export const HANDLER_FIELD_MANAGER = "nodenet-handler";

export interface HandlerOptions {
  node: string;
  kube: Kube;
  /** Namespace for Events about cluster-scoped objects. */
  namespace: string;
  stateDir?: string;
  probeTimeoutMs?: number;
  applyTimeoutSeconds?: number;
  /** Safety-net full resync (NNS and drift check) even without kernel events. */
  resyncMs?: number;
  /** Debounce of kernel events before reporting and checking drift. */
  debounceMs?: number;
  metrics?: { host: string; port: number };
  /** The resolver file to manage (in a container: the host's /etc/resolv.conf, mounted). */
  resolvConf?: string;
  /** The persisted record committed changes join (ADR 0011); default /etc/nodenet/state.yml. */
  recordFile?: string;
  /** Interfaces left out of the NodeNetworkState (globs). */
  exclude?: string[];
  version?: string;
  log?: (message: string) => void;
}

export class Handler {
  readonly metrics: HandlerMetrics;
  readonly reporter: NodeStateReporter;
  private readonly options: Required<Omit<HandlerOptions, "metrics" | "exclude" | "resolvConf" | "recordFile">> & Pick<HandlerOptions, "metrics" | "exclude" | "resolvConf" | "recordFile">;
  private readonly backend: KernelBackend;
  private readonly queue: WorkQueue;
  private readonly nodes: Informer<Node>;
  private readonly policies: Informer<Policy>;
  private readonly enactments: Informer<Enactment>;
  private readonly store: EnactmentStore;
  private readonly ctx: HandlerContext;
  private lock: Lock | undefined;
  private watch: KernelWatch | undefined;
  private resync: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private ready = false;
  private reporting: Promise<void> = Promise.resolve();

  constructor(options: HandlerOptions) {
    this.options = {
      stateDir: join("/run/nodenet", `handler-${options.node}`),
      probeTimeoutMs: 20_000,
      applyTimeoutSeconds: 120,
      resyncMs: 5 * 60_000,
      debounceMs: 1_000,
      version: "0.1.0",
      log: (m) => process.stderr.write(`${new Date().toISOString()} ${options.node}: ${m}\n`),
      ...options,
    };
    const { kube, node, log } = this.options;
    this.metrics = new HandlerMetrics(node);
    this.backend = new KernelBackend({
      stateDir: this.options.stateDir,
      ...(this.options.resolvConf ? { resolvConf: this.options.resolvConf } : {}),
      ...(this.options.recordFile ? { recordFile: this.options.recordFile } : {}),
    });
    const policies = policyClient(kube);
    const enactments = enactmentClient(kube);
    this.store = new EnactmentStore(enactments, HANDLER_FIELD_MANAGER);
    this.reporter = new NodeStateReporter(nodeStateClient(kube), this.backend, () => this.nodes.get(node), {
      fieldManager: HANDLER_FIELD_MANAGER,
      version: this.options.version,
      ...(this.options.exclude ? { exclude: this.options.exclude } : {}),
    });
    this.queue = new WorkQueue((key) => reconcilePolicy(this.ctx, key), (key, error) => log(`reconcile ${key} failed: ${error instanceof Error ? error.message : String(error)}`));
    const enqueueAll = () => this.policies.list().forEach((p) => this.queue.add(p.metadata.name));
    this.nodes = new Informer(kube.config, nodeSource(kube, { fieldSelector: `metadata.name=${node}` }), (e) => {
      if (e.type !== "updated" || JSON.stringify(e.object.metadata.labels) !== JSON.stringify(e.old.metadata.labels)) enqueueAll();
    }, { log });
    this.policies = new Informer(kube.config, resourceSource(policies), (e: InformerEvent<Policy>) => {
      // A deleted policy may have been the older side of a conflict: the younger one may now apply.
      if (e.type === "deleted") enqueueAll();
      this.queue.add(e.object.metadata.name);
    }, { log });
    this.enactments = new Informer(kube.config, resourceSource(enactments, { labelSelector: `${ENACTMENT_NODE_LABEL}=${node}` }), (e: InformerEvent<Enactment>) => {
      // Someone else deleted our enactment (or is deleting it: revert on delete): look again.
      const policy = e.object.metadata.labels?.[ENACTMENT_POLICY_LABEL];
      if (policy && (e.type === "deleted" || e.object.metadata.deletionTimestamp)) this.queue.add(policy);
      // A policy that now holds here (or stopped holding) may decide a conflict the others must report, or lift it.
      if (e.type === "updated" && currentPhase(e.object.status?.conditions) !== currentPhase(e.old.status?.conditions)) {
        for (const p of this.policies.list()) if (p.metadata.name !== policy) this.queue.add(p.metadata.name);
      }
    }, { log });
    const guards = new Map<string, DriftGuard>();
    const server = kube.config.getCurrentCluster()?.server;
    this.ctx = {
      nodeName: node,
      backend: this.backend,
      node: () => this.nodes.get(node),
      policy: (name) => this.policies.get(name),
      policies: () => this.policies.list(),
      enactment: (policy) => this.enactments.get(`${node}.${policy}`),
      enactments: this.store,
      rollout: {
        policies,
        fieldManager: HANDLER_FIELD_MANAGER,
        enactmentsOf: async (policy) => (await enactments.list({ labelSelector: `${ENACTMENT_POLICY_LABEL}=${policy}` })).items,
        matchingNodes: async (policy) => (await kube.core.listNode()).items.filter((n) => selects(policy.spec?.nodeSelector, n.metadata?.labels)).length,
      },
      pools: kubeAddressPools({ policies, fieldManager: HANDLER_FIELD_MANAGER }),
      drain: kubeDrainApi(kube, HANDLER_FIELD_MANAGER),
      events: new EventRecorder(kube, { reportingController: "nodenet.io/handler", reportingInstance: node, namespace: this.options.namespace, log }),
      metrics: this.metrics,
      api: server ? apiEndpoint(server) : undefined,
      probeTimeoutMs: this.options.probeTimeoutMs,
      applyTimeoutSeconds: this.options.applyTimeoutSeconds,
      version: this.options.version,
      driftSuspects: new Set(),
      driftGuard: (policy) => guards.get(policy) ?? guards.set(policy, new DriftGuard()).get(policy)!,
      retries: new Map(),
      waitingSince: new Map(),
      log,
    };
  }

  async start(): Promise<void> {
    const { node, log } = this.options;
    this.lock = acquireLock(this.options.stateDir, `node ${node}`, "handler.lock");
    await this.recoverCheckpoint();
    if (this.options.metrics) this.server = await serveHealth(this.metrics, this.options.metrics.port, this.options.metrics.host, () => this.ready);
    await Promise.all([this.nodes.start(), this.policies.start(), this.enactments.start()]);
    // A previous run may have died mid-drain: a node must never stay cordoned because of nodenet.
    await recoverDrain(this.ctx.drain, node, { log }).catch((error: unknown) => log(`could not check for an unfinished drain: ${error instanceof Error ? error.message : String(error)}`));
    // A previous run may have died holding slots: give them back before deciding anything.
    for (const policy of this.policies.list()) {
      if (policy.status?.rolloutSlots?.some((s) => s.node === node)) await releaseSlots(this.ctx.rollout, policy.metadata.name, node);
    }
    // Enactments of policies that no longer exist (deleted while we were away).
    for (const enactment of this.enactments.list()) {
      const policy = enactment.metadata.labels?.[ENACTMENT_POLICY_LABEL];
      if (policy && !this.policies.get(policy)) this.queue.add(policy);
    }
    await this.report();
    this.watch = watchKernel(undefined, () => this.onKernelChange(), { debounceMs: this.options.debounceMs });
    this.resync = setInterval(() => this.onKernelChange(), this.options.resyncMs);
    for (const policy of this.policies.list()) this.queue.add(policy.metadata.name);
    this.queue.resume();
    this.ready = true;
    log(`handler started (pid ${process.pid} on ${hostname()})`);
  }

  /** A change left pending by a handler that died mid-apply is rolled back now, not at its deadline. */
  private async recoverCheckpoint(): Promise<void> {
    const checkpoint = readCheckpoint(this.backend.checkpointDir);
    if (!checkpoint) return;
    if (checkpoint.applyPid !== process.pid && processAlive(checkpoint.applyPid)) return;
    this.options.log(`rolling back the change a previous handler (pid ${checkpoint.applyPid}) left pending`);
    await rollbackCheckpoint(this.backend, checkpoint);
  }

  private onKernelChange(): void {
    for (const enactment of this.enactments.list()) {
      const policy = enactment.metadata.labels?.[ENACTMENT_POLICY_LABEL];
      if (policy && currentPhase(enactment.status?.conditions) === "Available") {
        this.ctx.driftSuspects.add(policy);
        this.queue.add(policy);
      }
    }
    void this.report();
  }

  /** Reports the NodeNetworkState; serialized, and failures (e.g. the API unreachable) only logged. */
  report(): Promise<void> {
    this.reporting = this.reporting.then(async () => {
      try {
        if (await this.reporter.report()) this.metrics.nnsWrites.inc();
      } catch (error) {
        this.options.log(`reporting NodeNetworkState failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return this.reporting;
  }

  /** Waits until no reconcile is running or queued (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.watch?.stop();
    if (this.resync) clearInterval(this.resync);
    this.queue.stop();
    await Promise.all([this.nodes.stop(), this.policies.stop(), this.enactments.stop()]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.reporting;
    this.lock?.release();
  }
}
