/**
 * The dashboard's picture of the cluster: one informer per kind it shows
 * (nodes, NodeNetworkStates, policies, enactments, and the Events in
 * "default", where Events about cluster-scoped objects live), with the
 * caller's credentials. Read-only: it lists and watches, nothing else, and
 * never asks for Secrets.
 *
 * The informers run on the controller kit (src/cluster/kube/controller-kit.ts):
 * every event enqueues one key, "view", after `coalesceMs`, and the
 * reconciler hands the changes of that burst to `onView` — one recomputed
 * view per burst, however many objects changed.
 *
 * A kind the caller may not list (403) is left out and reported — the views
 * that need it say so — instead of retrying for ever; the rest still works.
 */
import type { Enactment } from "../cluster/api/enactment.ts";
import type { NodeState } from "../cluster/api/node-state.ts";
import type { Policy } from "../cluster/api/policy.ts";
import type { Kube } from "../cluster/kube/config.ts";
import { withTimeout } from "../cluster/kube/backoff.ts";
import { ControllerKit } from "../cluster/kube/controller-kit.ts";
import { resourceSource, type Informer, type InformerSource } from "../cluster/kube/informer.ts";
import { nodeSource, type Node } from "../cluster/kube/nodes.ts";
import { enactmentClient, nodeStateClient, policyClient, type KubeObject } from "../cluster/kube/resources.ts";
import { errorFields, type Logger } from "../log/logger.ts";
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
/** The first list of each kind: an API server that has not answered it by then is reported, not waited for. */
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
const KINDS: WatchedKind[] = ["nodes", "states", "policies", "enactments", "events"];
const VIEW_KEY = "view";

export interface ClusterWatchOptions {
  kube: Kube;
  /** Called once per burst of changes (after `coalesceMs`), with the changes of the burst. */
  onView: (changes: Change[]) => void;
  coalesceMs: number;
  log: Logger;
}

export class ClusterWatch {
  private readonly kit: ControllerKit;
  private readonly sources: { [K in WatchedKind]: InformerSource<KubeObject> };
  private informers: Partial<Record<WatchedKind, Informer<KubeObject>>> = {};
  private pending: Change[] = [];
  private readonly options: ClusterWatchOptions;
  readonly problems: AccessProblem[] = [];

  constructor(options: ClusterWatchOptions) {
    this.options = options;
    const { kube } = options;
    this.kit = new ControllerKit({ config: kube.config, log: options.log });
    this.sources = {
      nodes: nodeSource(kube),
      states: resourceSource(nodeStateClient(kube)),
      policies: resourceSource(policyClient(kube)),
      enactments: resourceSource(enactmentClient(kube)),
      events: eventSource(kube),
    } as unknown as { [K in WatchedKind]: InformerSource<KubeObject> };
    this.kit.build(async () => {
      const changes = this.pending;
      this.pending = [];
      options.onView(changes);
      return {};
    });
  }

  /**
   * Lists each kind once to learn whether the caller may (a forbidden kind is
   * recorded in `problems` and not watched), then starts the informers and
   * waits for their caches. Other errors (the API server unreachable) throw.
   */
  async start(): Promise<void> {
    const allowed = await Promise.all(KINDS.map((kind) => this.mayList(kind)));
    for (const [i, kind] of KINDS.entries()) {
      if (!allowed[i]) continue;
      this.informers[kind] = this.kit.watch(this.sources[kind], {
        delayMs: this.options.coalesceMs,
        keys: (e) => {
          this.pending.push({ kind, name: e.object.metadata.name, resourceVersion: e.object.metadata.resourceVersion ?? "", receivedAt: Date.now() });
          return [VIEW_KEY];
        },
      });
    }
    await this.kit.start();
    // The first lists' events describe the state the first view already shows.
    this.pending = [];
    this.kit.run();
  }

  /**
   * Whether the caller may list `kind`. Other failures (the API server still
   * starting, a CRD not yet established, a timeout) are retried until
   * LIST_TIMEOUT_MS has passed, then reported as the API server's problem.
   */
  private async mayList(kind: WatchedKind): Promise<boolean> {
    const path = this.sources[kind].path;
    const deadline = Date.now() + LIST_TIMEOUT_MS;
    for (;;) {
      try {
        await withTimeout(this.sources[kind].list(), Math.max(1_000, deadline - Date.now()), `listing ${path}`);
        return true;
      } catch (error) {
        const status = statusOf(error);
        if (status === 403 || status === 401) {
          this.problems.push({ kind, message: `your credentials may not list ${path} (HTTP ${status}); the dashboard shows what it can without it` });
          return false;
        }
        if (Date.now() + 1_000 >= deadline) throw new Error(`cannot list ${path}: ${error instanceof Error ? error.message : String(error)}`);
        this.options.log.debug({ path, ...errorFields(error) }, "listing failed; retrying");
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  async stop(): Promise<void> {
    await this.kit.stop();
  }

  private list<T>(kind: WatchedKind): T[] {
    return (this.informers[kind]?.list() ?? []) as T[];
  }

  objects(): ClusterObjects {
    return {
      nodes: this.list<Node>("nodes"),
      states: this.list<NodeState>("states"),
      policies: this.list<Policy>("policies"),
      enactments: this.list<Enactment>("enactments"),
      events: this.list<EventObject>("events").map((e) => e.event),
    };
  }

  state(node: string): NodeState | undefined {
    return this.informers.states?.get(node) as NodeState | undefined;
  }

  policy(name: string): Policy | undefined {
    return this.informers.policies?.get(name) as Policy | undefined;
  }
}
