/**
 * The dashboard's picture of the cluster: one informer per kind it shows
 * (nodes, NodeNetworkStates, policies, enactments, and the Events in
 * "default", where Events about cluster-scoped objects live), with the
 * caller's credentials. Read-only: it lists and watches, nothing else, and
 * never asks for Secrets.
 *
 * A kind the caller may not list (403) is left out and reported — the views
 * that need it say so — instead of retrying for ever; the rest still works.
 */
import type { Enactment } from "../cluster/api/enactment.ts";
import type { NodeState } from "../cluster/api/node-state.ts";
import type { Policy } from "../cluster/api/policy.ts";
import type { Kube } from "../cluster/kube/config.ts";
import { withTimeout } from "../cluster/kube/backoff.ts";
import { Informer, resourceSource, type InformerSource } from "../cluster/kube/informer.ts";
import { nodeSource, type Node } from "../cluster/kube/nodes.ts";
import { enactmentClient, nodeStateClient, policyClient, type KubeObject } from "../cluster/kube/resources.ts";
import type { ClusterObjects, DashboardEvent } from "./view.ts";

export type WatchedKind = "nodes" | "states" | "policies" | "enactments" | "events";

export interface Change {
  kind: WatchedKind;
  name: string;
  resourceVersion: string;
  /** When this process received the watch event (ms since the epoch). */
  receivedAt: number;
}

export interface AccessProblem {
  kind: WatchedKind;
  message: string;
}

const EVENTS_NAMESPACE = "default";
/** The first list of each kind: an API server that does not answer by then is reported, not waited for. */
const LIST_TIMEOUT_MS = 30_000;
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

type EventObject = KubeObject & { event: DashboardEvent };

/** nodenet's Events (events.k8s.io/v1) about policies and enactments, in the shape the views use. */
function eventSource(kube: Kube): InformerSource<EventObject> {
  const parse = (raw: unknown): EventObject => {
    const e = raw as {
      metadata: { name: string; namespace?: string; resourceVersion?: string };
      type?: string;
      reason?: string;
      action?: string;
      note?: string;
      eventTime?: string;
      series?: { count?: number; lastObservedTime?: string };
      deprecatedLastTimestamp?: string;
      regarding?: { kind?: string; name?: string };
    };
    if (!e?.metadata?.name) throw new Error("an Event without a name");
    return {
      metadata: { name: e.metadata.name, namespace: e.metadata.namespace, resourceVersion: e.metadata.resourceVersion },
      event: {
        name: e.metadata.name,
        type: e.type ?? "Normal",
        reason: e.reason ?? "",
        action: e.action ?? "",
        note: e.note ?? "",
        time: e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp ?? "",
        count: e.series?.count ?? 1,
        regarding: { kind: e.regarding?.kind ?? "", name: e.regarding?.name ?? "" },
      },
    } as EventObject;
  };
  return {
    path: `/apis/events.k8s.io/v1/namespaces/${EVENTS_NAMESPACE}/events`,
    async list() {
      const list = await kube.events.listNamespacedEvent({ namespace: EVENTS_NAMESPACE });
      return { items: list.items.map((e) => parse(plain(e))), resourceVersion: list.metadata?.resourceVersion ?? "" };
    },
    parse,
  };
}

const statusOf = (error: unknown): number | undefined => (error as { code?: number; statusCode?: number }).code ?? (error as { statusCode?: number }).statusCode;

export class ClusterWatch {
  private readonly nodes: Informer<Node>;
  private readonly states: Informer<NodeState>;
  private readonly policies: Informer<Policy>;
  private readonly enactments: Informer<Enactment>;
  private readonly events: Informer<EventObject>;
  private readonly sources: Record<WatchedKind, InformerSource<KubeObject>>;
  private readonly started: Informer<KubeObject>[] = [];
  readonly problems: AccessProblem[] = [];

  constructor(kube: Kube, onChange: (change: Change) => void, log?: (message: string) => void) {
    const notify = (kind: WatchedKind) => (e: { object: KubeObject }) =>
      onChange({ kind, name: e.object.metadata.name, resourceVersion: e.object.metadata.resourceVersion ?? "", receivedAt: Date.now() });
    const sources = {
      nodes: nodeSource(kube),
      states: resourceSource(nodeStateClient(kube)),
      policies: resourceSource(policyClient(kube)),
      enactments: resourceSource(enactmentClient(kube)),
      events: eventSource(kube),
    };
    this.sources = sources as unknown as Record<WatchedKind, InformerSource<KubeObject>>;
    this.nodes = new Informer(kube.config, sources.nodes, notify("nodes"), { log });
    this.states = new Informer(kube.config, sources.states, notify("states"), { log });
    this.policies = new Informer(kube.config, sources.policies, notify("policies"), { log });
    this.enactments = new Informer(kube.config, sources.enactments, notify("enactments"), { log });
    this.events = new Informer(kube.config, sources.events, notify("events"), { log });
  }

  private informer(kind: WatchedKind): Informer<KubeObject> {
    return { nodes: this.nodes, states: this.states, policies: this.policies, enactments: this.enactments, events: this.events }[kind] as unknown as Informer<KubeObject>;
  }

  /**
   * Lists each kind once to learn whether the caller may (a forbidden kind is
   * recorded in `problems` and not watched), then starts the informers and
   * waits for their caches. Other errors (the API server unreachable) throw.
   */
  async start(): Promise<void> {
    const kinds: WatchedKind[] = ["nodes", "states", "policies", "enactments", "events"];
    await Promise.all(
      kinds.map(async (kind) => {
        try {
          await withTimeout(this.sources[kind].list(), LIST_TIMEOUT_MS, `listing ${this.sources[kind].path}`);
        } catch (error) {
          const status = statusOf(error);
          if (status === 403 || status === 401) {
            this.problems.push({ kind, message: `your credentials may not list ${this.sources[kind].path} (HTTP ${status}); the dashboard shows what it can without it` });
            return;
          }
          throw new Error(`cannot list ${this.sources[kind].path}: ${error instanceof Error ? error.message : String(error)}`);
        }
        const informer = this.informer(kind);
        this.started.push(informer);
        await informer.start();
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.started.map((i) => i.stop()));
  }

  objects(): ClusterObjects {
    return {
      nodes: this.nodes.list(),
      states: this.states.list(),
      policies: this.policies.list(),
      enactments: this.enactments.list(),
      events: this.events.list().map((e) => e.event),
    };
  }

  state(node: string): NodeState | undefined {
    return this.states.get(node);
  }

  policy(name: string): Policy | undefined {
    return this.policies.get(name);
  }
}
