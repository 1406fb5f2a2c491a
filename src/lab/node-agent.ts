/**
 * What plays kubelet for a lab node, running INSIDE the node's network
 * namespace, so that its heartbeat travels the simulated network: a node that
 * cuts itself off stops heartbeating and the controller-manager marks it
 * NotReady, exactly as for a real node.
 *
 * Every `intervalMs` it renews the node's Lease (kube-node-lease) and reports
 * Ready in the Node's status. Pods bound to the node are reported Running;
 * pods being deleted (an eviction during a drain) are confirmed deleted — the
 * two things a kubelet must do for drain to work.
 */
import { PatchStrategy, V1MicroTime, setHeaderOptions } from "@kubernetes/client-node";
import type { Kube } from "../cluster/kube/config.ts";
import { isNotFound } from "../cluster/kube/errors.ts";

export interface NodeAgentOptions {
  kube: Kube;
  node: string;
  intervalMs?: number;
  leaseSeconds?: number;
  log?: (message: string) => void;
}

export class NodeAgent {
  private readonly o: Required<NodeAgentOptions>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastError = "";
  private busy = false;

  constructor(options: NodeAgentOptions) {
    this.o = { intervalMs: 4_000, leaseSeconds: 20, log: (m) => process.stderr.write(`${new Date().toISOString()} ${options.node} agent: ${m}\n`), ...options };
  }

  start(): void {
    const tick = () => {
      // A heartbeat stuck on a cut-off network must not pile up behind itself.
      if (this.busy) return;
      this.busy = true;
      this.running = this.beat().finally(() => (this.busy = false)).then(
        () => {
          if (this.lastError) this.o.log("heartbeats resumed");
          this.lastError = "";
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          if (message !== this.lastError) this.o.log(`heartbeat failed: ${message}`);
          this.lastError = message;
        },
      );
    };
    tick();
    this.timer = setInterval(tick, this.o.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
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
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    await this.tendPods();
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
      if (pod.status?.phase === "Running") continue;
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      await kube.core.patchNamespacedPodStatus(
        { name, namespace, body: { status: { phase: "Running", startTime: stamp, conditions: [{ type: "Ready", status: "True", lastTransitionTime: stamp }, { type: "ContainersReady", status: "True", lastTransitionTime: stamp }] } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      );
    }
  }
}
