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
import type { Server } from "node:http";
import type { HostBackend } from "../../host/backend.ts";
import { errorFields, lineLogger, silentLogger, type Logger } from "../../log/logger.ts";
import { processAlive } from "../../process-alive.ts";
import { readCheckpoint } from "../../txn/checkpoint.ts";
import { acquireLock, type Lock } from "../../txn/lock.ts";
import { rollbackCheckpoint } from "../../txn/transaction.ts";
import { ENACTMENT_NODE_LABEL, ENACTMENT_POLICY_LABEL, type Enactment } from "../api/enactment.ts";
import type { Policy } from "../api/policy.ts";
import type { Kube } from "../kube/config.ts";
import { ControllerKit } from "../kube/controller-kit.ts";
import { EventRecorder } from "../kube/events.ts";
import type { Informer, InformerEvent } from "../kube/informer.ts";
import { resourceSource } from "../kube/informer.ts";
import { nodeSource, type Node } from "../kube/nodes.ts";
import { anyOf, deletionChanged, generationChanged, labelsChanged } from "../kube/predicates.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../kube/resources.ts";
import type { HandlerContext } from "./context.ts";
import { recoverDrain } from "./drain.ts";
import { kubeDrainApi } from "./drain-kube.ts";
import { DriftGuard } from "./drift-guard.ts";
import { EnactmentStore } from "./enactments.ts";
import { HandlerMetrics, serveHealth } from "./metrics.ts";
import { NodeStateReporter } from "./node-state.ts";
import { apiEndpoint } from "./probes.ts";
import { reconcilePolicy, HOST_RETRY } from "./reconcile.ts";
import type { BackoffPolicy } from "../kube/workqueue.ts";
import { releaseSlots } from "./rollout.ts";
import { selects } from "./selection.ts";
import { currentPhase } from "./enactment-conditions.ts";
import { allocationsChanged, kubeAddressPools, waitsForAddress } from "../pools/index.ts";

export const HANDLER_FIELD_MANAGER = "nodenet-handler";

/** Kernel change notifications (`ip monitor`, src/host/kernel/events.ts), or a test's own. */
export interface HostWatch {
  stop(): void;
}

export interface HandlerOptions {
  node: string;
  kube: Kube;
  /** The host this handler changes (the kernel backend in a node; the memory backend in tests). */
  backend: HostBackend;
  /** Starts watching the host for changes, calling `onChange` once per burst (debounced by the watch). */
  watchHost: (onChange: () => void) => HostWatch;
  /** Namespace for Events about cluster-scoped objects. */
  namespace: string;
  /** Where the handler's lock file lives (one handler per node). */
  stateDir: string;
  probeTimeoutMs?: number;
  applyTimeoutSeconds?: number;
  /** Safety-net full resync (NNS and drift check) even without kernel events. */
  resyncMs?: number;
  metrics?: { host: string; port: number };
  /** Interfaces left out of the NodeNetworkState (globs). */
  exclude?: string[];
  version?: string;
  log?: Logger;
  /** The wait between attempts of a failed apply that may pass later (default HOST_RETRY: 5 s, 15 s, 45 s). */
  retry?: BackoffPolicy;
}

/**
 * A policy update worth a reconcile here: a new generation, a deletion, or —
 * while this node waits for a rollout slot — a change of the slots. The
 * controller's condition writes and other nodes' slot changes after this node
 * is done reconcile nothing.
 */
function policyPredicate(waitingForSlot: (policy: string) => boolean) {
  const slotsChanged = (e: InformerEvent<Policy>) =>
    e.type === "updated" && waitingForSlot(e.object.metadata.name) && JSON.stringify(e.object.status?.rolloutSlots ?? []) !== JSON.stringify(e.old.status?.rolloutSlots ?? []);
  return anyOf<Policy>(generationChanged, deletionChanged, slotsChanged);
}

export class Handler {
  readonly metrics: HandlerMetrics;
  readonly reporter: NodeStateReporter;
  readonly kit: ControllerKit;
  private readonly options: Required<Omit<HandlerOptions, "metrics" | "exclude">> & Pick<HandlerOptions, "metrics" | "exclude">;
  private readonly backend: HostBackend;
  private readonly log: Logger;
  private readonly nodes: Informer<Node>;
  private readonly policies: Informer<Policy>;
  private readonly enactments: Informer<Enactment>;
  private readonly store: EnactmentStore;
  private readonly ctx: HandlerContext;
  private lock: Lock | undefined;
  private watch: HostWatch | undefined;
  private resync: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private ready = false;
  private reporting: Promise<void> = Promise.resolve();

  constructor(options: HandlerOptions) {
    this.options = {
      probeTimeoutMs: 20_000,
      applyTimeoutSeconds: 120,
      resyncMs: 5 * 60_000,
      version: "0.1.0",
      log: silentLogger,
      retry: HOST_RETRY,
      ...options,
    };
    const { kube, node } = this.options;
    this.log = this.options.log.child({ node });
    const log = this.log;
    this.metrics = new HandlerMetrics(node);
    this.backend = this.options.backend;
    const policies = policyClient(kube);
    const enactments = enactmentClient(kube);
    this.store = new EnactmentStore(enactments, HANDLER_FIELD_MANAGER);
    this.reporter = new NodeStateReporter(nodeStateClient(kube), this.backend, () => this.nodes.get(node), {
      fieldManager: HANDLER_FIELD_MANAGER,
      version: this.options.version,
      ...(this.options.exclude ? { exclude: this.options.exclude } : {}),
    });
    this.kit = new ControllerKit({ config: kube.config, log, retry: this.options.retry, keyFields: (policy) => ({ policy, generation: this.policies.get(policy)?.metadata.generation, enactment: `${node}.${policy}` }) });
    const allPolicies = () => this.policies.list().map((p) => p.metadata.name);
    this.nodes = this.kit.watch(nodeSource(kube, { fieldSelector: `metadata.name=${node}` }), { predicate: labelsChanged, keys: allPolicies });
    const waitingForSlot = (policy: string) => currentPhase(this.enactments.get(`${node}.${policy}`)?.status?.conditions) === "Pending";
    this.policies = this.kit.watch(resourceSource(policies), {
      predicate: anyOf(policyPredicate(waitingForSlot), allocationsChanged((policy) => waitsForAddress(this.enactments.get(`${node}.${policy}`)))),
      // A deleted policy may have been the older side of a conflict: the younger one may now apply.
      keys: (e) => (e.type === "deleted" ? allPolicies().concat(e.object.metadata.name) : [e.object.metadata.name]),
    });
    this.enactments = this.kit.watch(resourceSource(enactments, { labelSelector: `${ENACTMENT_NODE_LABEL}=${node}` }), {
      keys: (e) => {
        const policy = e.object.metadata.labels?.[ENACTMENT_POLICY_LABEL];
        const keys: string[] = [];
        // Someone else deleted our enactment (or is deleting it: revert on delete): look again.
        if (policy && (e.type === "deleted" || e.object.metadata.deletionTimestamp)) keys.push(policy);
        // A policy that now holds here (or stopped holding) may decide a conflict the others must report, or lift it.
        if (e.type === "updated" && currentPhase(e.object.status?.conditions) !== currentPhase(e.old.status?.conditions)) keys.push(...allPolicies().filter((p) => p !== policy));
        return keys;
      },
    });
    this.kit.build((request) => reconcilePolicy(this.ctx, request));
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
      events: new EventRecorder(kube, { reportingController: "nodenet.io/handler", reportingInstance: node, namespace: this.options.namespace, log: lineLogger(log, "warn") }),
      metrics: this.metrics,
      api: server ? apiEndpoint(server) : undefined,
      probeTimeoutMs: this.options.probeTimeoutMs,
      applyTimeoutSeconds: this.options.applyTimeoutSeconds,
      version: this.options.version,
      driftSuspects: new Set(),
      driftGuard: (policy) => guards.get(policy) ?? guards.set(policy, new DriftGuard()).get(policy)!,
      waitingSince: new Map(),
      log,
    };
  }

  async start(): Promise<void> {
    const { node } = this.options;
    const log = this.log;
    this.lock = acquireLock(this.options.stateDir, `node ${node}`, "handler.lock");
    await this.recoverCheckpoint();
    if (this.options.metrics) this.server = await serveHealth(this.metrics, this.options.metrics.port, this.options.metrics.host, () => this.ready);
    await this.kit.start();
    // A previous run may have died mid-drain: a node must never stay cordoned because of nodenet.
    await recoverDrain(this.ctx.drain, node, { log: lineLogger(log) }).catch((error: unknown) => log.warn(errorFields(error), "could not check for an unfinished drain"));
    // A previous run may have died holding slots: give them back before deciding anything.
    for (const policy of this.policies.list()) {
      if (policy.status?.rolloutSlots?.some((s) => s.node === node)) await releaseSlots(this.ctx.rollout, policy.metadata.name, node);
    }
    // Enactments of policies that no longer exist (deleted while we were away).
    for (const enactment of this.enactments.list()) {
      const policy = enactment.metadata.labels?.[ENACTMENT_POLICY_LABEL];
      if (policy && !this.policies.get(policy)) this.kit.enqueue(policy);
    }
    await this.report();
    this.watch = this.options.watchHost(() => this.onHostChange());
    this.resync = setInterval(() => this.onHostChange(), this.options.resyncMs);
    for (const policy of this.policies.list()) this.kit.enqueue(policy.metadata.name);
    this.kit.run();
    this.ready = true;
    log.info({ pid: process.pid, host: hostname() }, "handler started");
  }

  /** A change left pending by a handler that died mid-apply is rolled back now, not at its deadline. */
  private async recoverCheckpoint(): Promise<void> {
    const checkpoint = readCheckpoint(this.backend.checkpointDir);
    if (!checkpoint) return;
    if (checkpoint.applyPid !== process.pid && processAlive(checkpoint.applyPid)) return;
    this.log.warn({ previousPid: checkpoint.applyPid, checkpoint: checkpoint.id }, "rolling back the change a previous handler left pending");
    await rollbackCheckpoint(this.backend, checkpoint);
  }

  private onHostChange(): void {
    for (const enactment of this.enactments.list()) {
      const policy = enactment.metadata.labels?.[ENACTMENT_POLICY_LABEL];
      if (policy && currentPhase(enactment.status?.conditions) === "Available") {
        this.ctx.driftSuspects.add(policy);
        this.kit.enqueue(policy);
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
        this.log.warn(errorFields(error), "reporting NodeNetworkState failed");
      }
    });
    return this.reporting;
  }

  /** Waits until no reconcile is running or queued (tests). */
  idle(): Promise<void> {
    return this.kit.idle();
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.watch?.stop();
    if (this.resync) clearInterval(this.resync);
    await this.kit.stop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.reporting;
    this.lock?.release();
  }
}
