/** Everything a reconcile needs, passed in (no module-level client, queue or logger). */
import type { HostBackend } from "../../host/backend.ts";
import type { Logger } from "../../log/logger.ts";
import type { ApplyOptions } from "../../txn/transaction.ts";
import type { Enactment } from "../api/enactment.ts";
import type { Policy } from "../api/policy.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { Node } from "../kube/nodes.ts";
import type { DrainApi } from "./drain.ts";
import type { DriftGuard } from "./drift-guard.ts";
import type { EnactmentStore } from "./enactments.ts";
import type { HandlerMetrics } from "./metrics.ts";
import type { ApiEndpoint } from "./probes.ts";
import type { RolloutContext } from "./rollout.ts";
import type { AddressPools } from "../pools/index.ts";

export interface HandlerContext {
  nodeName: string;
  backend: HostBackend;
  node(): Node | undefined;
  policy(name: string): Policy | undefined;
  /** Every policy the handler knows (from its informer). */
  policies(): Policy[];
  /** This node's enactment for a policy, from the informer cache. */
  enactment(policy: string): Enactment | undefined;
  enactments: EnactmentStore;
  rollout: RolloutContext;
  /** Addresses from the policies' address pools, and node-label templates (src/cluster/pools). */
  pools: AddressPools;
  /** Kubernetes Events (EventRecorder; a test passes its own). */
  events: Pick<EventRecorder, "record">;
  /** Cordon, evict, uncordon (policies with spec.drain). */
  drain: DrainApi;
  metrics: HandlerMetrics;
  api: ApiEndpoint | undefined;
  probeTimeoutMs: number;
  /** How probes run; default for real, in the backend's namespace (unit tests pass their own). */
  runProbes?: ApplyOptions["runProbes"];
  /** Seconds before an uncommitted change is rolled back even if this process dies. */
  applyTimeoutSeconds: number;
  version: string;
  /** Policies the drift detector asked to check. */
  driftSuspects: Set<string>;
  driftGuard(policy: string): DriftGuard;
  /** When a policy generation started waiting for interfaces nobody declares (`policy@generation`). */
  waitingSince: Map<string, number>;
  /** The handler's logger (bound to the node); a reconcile binds policy, generation and enactment. */
  log: Logger;
}
