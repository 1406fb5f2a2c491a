/**
 * For unit tests of the handler's reconcile: the nmstate.io objects of one
 * cluster in memory behind the calls ResourceClient and status.ts make (get,
 * list with a label selector, create, delete, merge patch, status merge patch,
 * status replace with its resourceVersion precondition: 409 when stale), and
 * a HandlerContext around a host backend. Not a stand-in for the API server
 * in cluster tests: those run a real one.
 */
import type { Kube } from "../kube/config.ts";
import { enactmentClient, policyClient } from "../kube/resources.ts";
import type { EventInput } from "../kube/events.ts";
import type { Node } from "../kube/nodes.ts";
import type { Policy } from "../api/policy.ts";
import type { Enactment } from "../api/enactment.ts";
import type { HostBackend } from "../../host/backend.ts";
import { silentLogger } from "../../log/logger.ts";
import { clone, deepEqual } from "../../state/objects.ts";
import type { ProbeResult, ProbeTarget } from "../../probe/types.ts";
import { EnactmentStore } from "./enactments.ts";
import type { HandlerContext } from "./context.ts";
import { DriftGuard } from "./drift-guard.ts";
import { HandlerMetrics } from "./metrics.ts";
import { selects } from "./selection.ts";
import { kubeAddressPools } from "../pools/index.ts";

type Obj = { metadata: Record<string, unknown> & { name: string; labels?: Record<string, string> }; spec?: unknown; status?: unknown };

class ApiError extends Error {
  readonly statusCode: number;
  constructor(code: number, message: string) {
    super(message);
    this.statusCode = code;
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const matches = (labels: Record<string, string> | undefined, selector: string | undefined) =>
  !selector || selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return labels?.[k!] === v;
  });

export class FakeCluster {
  private readonly objects = new Map<string, Map<string, Obj>>();
  private version = 0;
  readonly events: EventInput[] = [];
  /** Status writes by plural, to count what a reconcile wrote. */
  readonly writes: { plural: string; name: string }[] = [];

  private table(plural: string): Map<string, Obj> {
    return this.objects.get(plural) ?? this.objects.set(plural, new Map()).get(plural)!;
  }

  private stamp(object: Obj): Obj {
    object.metadata.resourceVersion = String(++this.version);
    return object;
  }

  private find(plural: string, name: string): Obj {
    const object = this.table(plural).get(name);
    if (!object) throw new ApiError(404, `${plural} "${name}" not found`);
    return object;
  }

  list(plural: string): Obj[] {
    return [...this.table(plural).values()].map(clone);
  }

  /** Removes an object at once, finalizers or not (a test's `kubectl delete` of a policy). */
  remove(plural: string, name: string): void {
    this.table(plural).delete(name);
  }

  get(plural: string, name: string): Obj | undefined {
    const object = this.table(plural).get(name);
    return object ? clone(object) : undefined;
  }

  /** A policy as `kubectl apply` would create it (generation 1, a creationTimestamp). */
  addPolicy(policy: Omit<Policy, "metadata"> & { metadata: Partial<Policy["metadata"]> & { name: string } }): void {
    const metadata = { generation: 1, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"), uid: `uid-${policy.metadata.name}`, ...policy.metadata };
    this.table("nodenetworkconfigurationpolicies").set(metadata.name, this.stamp(clone({ ...policy, metadata }) as Obj));
  }

  /** A spec change: a new generation. */
  updatePolicySpec(name: string, spec: Record<string, unknown>): void {
    const policy = this.find("nodenetworkconfigurationpolicies", name);
    policy.spec = mergePatch(policy.spec, spec);
    policy.metadata.generation = Number(policy.metadata.generation ?? 1) + 1;
    this.stamp(policy);
  }

  readonly custom = {
    getClusterCustomObject: async ({ plural, name }: { plural: string; name: string }) => clone(this.find(plural, name)),
    listClusterCustomObject: async ({ plural, labelSelector }: { plural: string; labelSelector?: string }) => ({
      items: [...this.table(plural).values()].filter((o) => matches(o.metadata.labels, labelSelector)).map(clone),
      metadata: { resourceVersion: String(this.version) },
    }),
    createClusterCustomObject: async ({ plural, body }: { plural: string; body: Obj }) => {
      if (this.table(plural).has(body.metadata.name)) throw new ApiError(409, "AlreadyExists");
      const object = this.stamp(clone({ ...body, metadata: { generation: 1, uid: `uid-${body.metadata.name}`, ...body.metadata } }));
      this.table(plural).set(body.metadata.name, object);
      return clone(object);
    },
    deleteClusterCustomObject: async ({ plural, name }: { plural: string; name: string }) => {
      const object = this.find(plural, name);
      if ((object.metadata.finalizers as string[] | undefined)?.length) object.metadata.deletionTimestamp ??= new Date().toISOString();
      else this.table(plural).delete(name);
      return {};
    },
    patchClusterCustomObject: async ({ plural, name, body }: { plural: string; name: string; body: Record<string, unknown> }) => {
      const object = this.find(plural, name);
      const { status: _ignored, ...main } = body;
      const next = mergePatch(object, main) as Obj;
      if (!deepEqual(next.spec, object.spec)) next.metadata.generation = Number(object.metadata.generation ?? 1) + 1;
      if (next.metadata.deletionTimestamp && !(next.metadata.finalizers as string[] | undefined)?.length) this.table(plural).delete(name);
      else this.table(plural).set(name, this.stamp(next));
      return clone(next);
    },
    patchClusterCustomObjectStatus: async ({ plural, name, body }: { plural: string; name: string; body: { status: unknown } }) => {
      const object = this.find(plural, name);
      object.status = mergePatch(object.status, body.status);
      this.writes.push({ plural, name });
      return clone(this.stamp(object));
    },
    replaceClusterCustomObjectStatus: async ({ plural, name, body }: { plural: string; name: string; body: Obj }) => {
      const object = this.find(plural, name);
      if (body.metadata.resourceVersion !== object.metadata.resourceVersion) throw new ApiError(409, "Conflict");
      object.status = clone(body.status);
      this.writes.push({ plural, name });
      return clone(this.stamp(object));
    },
  };

  /** Enough of a Kube for ResourceClient and status.ts. */
  get kube(): Kube {
    return { custom: this.custom } as unknown as Kube;
  }
}

export interface FakeHandler {
  ctx: HandlerContext;
  cluster: FakeCluster;
  /** Probe runs, with the targets each was asked for. */
  probed: ProbeTarget[][];
  enactment(policy: string): Enactment | undefined;
}

/**
 * A handler context on `backend` for node `node` (labels given), reading
 * policies and enactments straight from the fake cluster (a perfectly fresh
 * informer). `probe` decides each probe's result (default: every probe answers).
 */
export function fakeHandler(backend: HostBackend, options: { node?: string; labels?: Record<string, string>; cluster?: FakeCluster; probe?: (target: ProbeTarget) => string | undefined } = {}): FakeHandler {
  const cluster = options.cluster ?? new FakeCluster();
  const nodeName = options.node ?? "node-1";
  const node: Node = { metadata: { name: nodeName, uid: `uid-${nodeName}`, labels: { "kubernetes.io/hostname": nodeName, ...options.labels } } } as Node;
  const policies = policyClient(cluster.kube);
  const enactments = enactmentClient(cluster.kube);
  const probed: ProbeTarget[][] = [];
  const guards = new Map<string, DriftGuard>();
  const enactment = (policy: string) => cluster.get("nodenetworkconfigurationenactments", `${nodeName}.${policy}`) as Enactment | undefined;
  const ctx: HandlerContext = {
    nodeName,
    backend,
    node: () => node,
    policy: (name) => cluster.get("nodenetworkconfigurationpolicies", name) as Policy | undefined,
    policies: () => cluster.list("nodenetworkconfigurationpolicies") as Policy[],
    enactment,
    enactments: new EnactmentStore(enactments, "test"),
    rollout: {
      policies,
      fieldManager: "test",
      enactmentsOf: async (policy) => (await enactments.list({ labelSelector: `nmstate.io/policy=${policy}` })).items,
      matchingNodes: async (policy) => (selects(policy.spec?.nodeSelector, node.metadata.labels) ? 1 : 0),
    },
    pools: kubeAddressPools({ policies, fieldManager: "test" }),
    drain: {
      node: async () => ({ unschedulable: false, resourceVersion: "1" }) as never,
      setCordon: async () => "ok",
      podsOn: async () => [],
      evict: async () => "evicted" as never,
    },
    events: { record: async (event) => void cluster.events.push(event) },
    metrics: new HandlerMetrics(nodeName),
    api: undefined,
    probeTimeoutMs: 1_000,
    applyTimeoutSeconds: 30,
    version: "test",
    driftSuspects: new Set(),
    driftGuard: (policy) => guards.get(policy) ?? guards.set(policy, new DriftGuard()).get(policy)!,
    waitingSince: new Map(),
    log: silentLogger,
    runProbes: async (_netns, targets) => {
      probed.push([...targets]);
      return targets.map((target): ProbeResult => {
        const failure = options.probe?.(target);
        return failure ? { target, ok: false, elapsedMs: 1, detail: failure } : { target, ok: true, elapsedMs: 1, detail: "answered" };
      });
    },
  };
  return { ctx, cluster, probed, enactment };
}
