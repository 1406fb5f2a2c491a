/**
 * The nodes and their NodeNetworkStates (and the existing policies, for
 * conflict warnings) as admission needs them, from
 * informers (so a request costs the API server nothing and answers in
 * milliseconds). Each state is parsed when it arrives — once per
 * resourceVersion, never while a request waits — and keyed by a digest of
 * its content so that identical nodes are checked once.
 */
import { createHash } from "node:crypto";
import { formatIssue } from "../../state/issues.ts";
import { parseState } from "../../state/parse/index.ts";
import type { NodeState } from "../api/node-state.ts";
import type { Kube } from "../kube/config.ts";
import { ControllerKit } from "../kube/controller-kit.ts";
import { resourceSource, type Informer } from "../kube/informer.ts";
import type { Logger } from "../../log/logger.ts";
import { nodeSource, type Node } from "../kube/nodes.ts";
import { nodeStateClient, policyClient } from "../kube/resources.ts";
import type { Policy } from "../api/policy.ts";
import type { PeerPolicy } from "./conflicts.ts";
import type { NodeCurrentState, NodeView } from "./check.ts";

/** One NodeNetworkState's currentState → what a check needs. */
export function readNodeState(currentState: unknown): NodeCurrentState | undefined {
  if (currentState === undefined) return undefined;
  if (currentState === null || typeof currentState !== "object" || Array.isArray(currentState)) return { readable: false, reason: "status.currentState is not an object" };
  const parsed = parseState(currentState);
  const state = parsed.state ?? parsed.partial;
  if (!state) return { readable: false, reason: parsed.issues.slice(0, 2).map(formatIssue).join("; ") || "it does not parse" };
  const key = createHash("sha256").update(JSON.stringify(currentState)).digest("hex");
  return { readable: true, raw: currentState as Record<string, unknown>, parsed: state, key };
}

export class NodeStates {
  private readonly nodes: Informer<Node>;
  private readonly states: Informer<NodeState>;
  /** The existing policies, for the conflict warnings. */
  private readonly policyCache: Informer<Policy>;
  private readonly parsed = new Map<string, { resourceVersion: string; state: NodeCurrentState | undefined }>();
  /** Nodes and policies are caches only; a NodeNetworkState's key is parsed (or forgotten) by the reconcile. */
  private readonly kit: ControllerKit;
  private started: Promise<void> | undefined;

  constructor(kube: Kube, log: Logger) {
    this.kit = new ControllerKit({ config: kube.config, log });
    this.nodes = this.kit.watch(nodeSource(kube));
    this.policyCache = this.kit.watch(resourceSource(policyClient(kube)));
    this.states = this.kit.watch(resourceSource(nodeStateClient(kube)), { keys: (e) => [e.object.metadata.name] });
    this.kit.build(async ({ key }) => {
      if (!this.states.get(key)) this.parsed.delete(key);
      else this.stateOf(key);
      return {};
    });
  }

  /** Resolves once the caches are filled. */
  async start(): Promise<void> {
    this.started ??= this.kit.start().then(() => this.kit.run());
    await this.started;
  }

  async stop(): Promise<void> {
    await this.kit.stop();
  }

  get synced(): boolean {
    return this.nodes.synced && this.states.synced && this.policyCache.synced;
  }

  private stateOf(name: string): NodeCurrentState | undefined {
    const nns = this.states.get(name);
    if (!nns) return undefined;
    const resourceVersion = nns.metadata.resourceVersion ?? "";
    const cached = this.parsed.get(name);
    if (cached && cached.resourceVersion === resourceVersion) return cached.state;
    const state = readNodeState(nns.status?.currentState);
    this.parsed.set(name, { resourceVersion, state });
    return state;
  }

  /** Every node with its labels and, when it has reported one, its state. */
  views(): NodeView[] {
    return this.nodes.list().map((node) => {
      const state = this.stateOf(node.metadata.name);
      return { name: node.metadata.name, labels: node.metadata.labels ?? {}, annotations: node.metadata.annotations ?? {}, ...(state ? { state } : {}) };
    });
  }

  /** The policies that exist, as conflict peers. */
  policies(): PeerPolicy[] {
    return this.policyCache.list().map((p) => ({ name: p.metadata.name, creationTimestamp: p.metadata.creationTimestamp, spec: p.spec, deleting: Boolean(p.metadata.deletionTimestamp) }));
  }
}
