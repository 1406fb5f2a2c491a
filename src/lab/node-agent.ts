/**
 * What plays kubelet for a lab node, running INSIDE the node's network
 * namespace, so that its heartbeat travels the simulated network: a node that
 * cuts itself off stops heartbeating and the controller-manager marks it
 * NotReady, exactly as for a real node.
 *
 * Every `intervalMs` it renews the node's Lease (kube-node-lease) and reports
 * Ready in the Node's status, with a capacity (cpu, memory, pods) so that the
 * scheduler places pods on it. Every `podIntervalMs` pods bound to the node
 * are reported Running and Ready; pods being deleted (an eviction during a
 * drain) are confirmed deleted — the two things a kubelet must do for drain
 * to work. No container runs: the pods are bookkeeping.
 */
import { PatchStrategy, V1MicroTime, setHeaderOptions } from "@kubernetes/client-node";
import type { Kube } from "../cluster/kube/config.ts";
import { isNotFound } from "../cluster/kube/errors.ts";

export interface NodeAgentOptions {
  kube: Kube;
  node: string;
  intervalMs?: number;
  /** How often pods bound to the node are tended (a drain waits for evicted pods to be confirmed gone). */
  podIntervalMs?: number;
  leaseSeconds?: number;
  log?: (message: string) => void;
}

/** What a lab node offers the scheduler: room for the pods of the drain tests and demos, not a real machine's. */
export const LAB_NODE_CAPACITY = { cpu: "4", memory: "8Gi", pods: "110" } as const;

/** A periodic job that never overlaps itself (a call stuck on a cut-off network must not pile up) and logs a failure once. */
class Loop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private lastError = "";
  private readonly what: string;
  private readonly body: () => Promise<void>;
  private readonly log: (message: string) => void;

  constructor(what: string, body: () => Promise<void>, log: (message: string) => void) {
    this.what = what;
    this.body = body;
    this.log = log;
  }

  start(intervalMs: number): void {
    const tick = () => {
      if (this.busy) return;
      this.busy = true;
      this.running = this.body().finally(() => (this.busy = false)).then(
        () => {
          if (this.lastError) this.log(`${this.what} resumed`);
          this.lastError = "";
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          if (message !== this.lastError) this.log(`${this.what} failed: ${message}`);
          this.lastError = message;
        },
      );
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

export class NodeAgent {
  private readonly o: Required<NodeAgentOptions>;
  private readonly heartbeat: Loop;
  private readonly pods: Loop;

  constructor(options: NodeAgentOptions) {
    this.o = { intervalMs: 4_000, podIntervalMs: 1_000, leaseSeconds: 20, log: (m) => process.stderr.write(`${new Date().toISOString()} ${options.node} agent: ${m}\n`), ...options };
    this.heartbeat = new Loop("heartbeat", () => this.beat(), this.o.log);
    this.pods = new Loop("tending pods", () => this.tendPods(), this.o.log);
  }

  start(): void {
    this.heartbeat.start(this.o.intervalMs);
    this.pods.start(this.o.podIntervalMs);
  }

  async stop(): Promise<void> {
    await Promise.all([this.heartbeat.stop(), this.pods.stop()]);
  }

  private async beat(): Promise<void> {
    const { kube, node } = this.o;
    const now = new V1MicroTime(Date.now());
    try {
      await kube.coordination.patchNamespacedLease(
        { namespace: "kube-node-lease", name: node, body: { spec: { renewTime: now, holderIdentity: node, leaseDurationSeconds: this.o.leaseSeconds } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await kube.coordination.createNamespacedLease({
        namespace: "kube-node-lease",
        body: { metadata: { name: node, namespace: "kube-node-lease" }, spec: { holderIdentity: node, leaseDurationSeconds: this.o.leaseSeconds, renewTime: now } },
      });
    }
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await kube.core.patchNodeStatus(
      {
        name: node,
        body: {
          status: {
            conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "nodenet lab node agent is posting ready status", lastHeartbeatTime: stamp, lastTransitionTime: stamp }],
            capacity: LAB_NODE_CAPACITY,
            allocatable: LAB_NODE_CAPACITY,
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
  }

  private async tendPods(): Promise<void> {
    const { kube, node } = this.o;
    const pods = await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    for (const pod of pods.items) {
      const name = pod.metadata?.name ?? "";
      const namespace = pod.metadata?.namespace ?? "default";
      if (pod.metadata?.deletionTimestamp) {
        await kube.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
        continue;
      }
      // Running already, or finished: a kubelet does not bring finished pods back.
      if (pod.status?.phase && pod.status.phase !== "Pending") continue;
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      await kube.core.patchNamespacedPodStatus(
        { name, namespace, body: { status: { phase: "Running", startTime: stamp, conditions: [{ type: "Ready", status: "True", lastTransitionTime: stamp }, { type: "ContainersReady", status: "True", lastTransitionTime: stamp }] } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      );
    }
  }
}
