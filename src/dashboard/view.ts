/**
 * What the dashboard shows, computed from the objects its watches hold: the
 * cluster view (nodes with their policies' states, policies with their
 * conditions and counts) and each policy's rollout (a tile per node, the
 * nodenet Events about it). Pure: the caller passes the objects in, and the
 * browser only draws the result.
 *
 * A tile carries the enactment's resourceVersion, so a test (or a person in
 * the browser's inspector) can tell which status write a tile shows.
 */
import type { Enactment, EnactmentConditionType } from "../cluster/api/enactment.ts";
import type { Condition } from "../cluster/api/meta.ts";
import type { NodeState } from "../cluster/api/node-state.ts";
import type { Policy } from "../cluster/api/policy.ts";
import { currentPhase } from "../cluster/handler/enactment-conditions.ts";
import { selects } from "../cluster/handler/selection.ts";
import { isNodeReady, type Node } from "../cluster/kube/nodes.ts";
import { countPolicy, type PolicyCounts } from "../cluster/controller/policy-status.ts";

/** An events.k8s.io Event as the dashboard keeps it. */
export interface DashboardEvent {
  name: string;
  type: string;
  reason: string;
  action: string;
  note: string;
  /** ISO time of the last occurrence. */
  time: string;
  count: number;
  regarding: { kind: string; name: string };
}

export interface ClusterObjects {
  nodes: readonly Node[];
  states: readonly NodeState[];
  policies: readonly Policy[];
  enactments: readonly Enactment[];
  events: readonly DashboardEvent[];
}

export type TilePhase = EnactmentConditionType;

export interface Tile {
  node: string;
  phase: TilePhase;
  reason: string;
  message: string;
  /** The enactment's resourceVersion ("" when the node has no enactment yet). */
  resourceVersion: string;
  /** When the phase began (the True condition's lastTransitionTime). */
  since?: string;
  /** The enactment reports an older generation of the policy than the current one. */
  stale: boolean;
}

export interface PolicyView {
  name: string;
  generation: number;
  nodeSelector: Record<string, string>;
  maxUnavailable?: number | string;
  /** The True condition (Available, Degraded, Progressing, Ignored), or none yet. */
  verdict?: { type: string; reason: string; message: string };
  conditions: Condition[];
  counts: PolicyCounts;
  tiles: Tile[];
  events: DashboardEvent[];
}

export interface NodeView {
  name: string;
  ready: boolean;
  /** The node runs a handler: it has a NodeNetworkState. */
  reported: boolean;
  lastUpdate?: string;
  /** The NodeNetworkState's resourceVersion: the node view redraws when it changes. */
  stateVersion: string;
  labels: Record<string, string>;
  policies: { policy: string; phase: TilePhase; reason: string; message: string }[];
}

export interface ClusterView {
  nodes: NodeView[];
  policies: PolicyView[];
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, "en", { numeric: true });
const POLICY_LABEL = "nmstate.io/policy";
const NODE_LABEL = "nmstate.io/node";
/** Events kept per policy in its rollout view, newest first. */
const EVENTS_PER_POLICY = 30;

function tileOf(node: string, enactment: Enactment | undefined, generation: number): Tile {
  if (!enactment) return { node, phase: "Pending", reason: "NoEnactment", message: "the node's handler has not taken this policy up yet", resourceVersion: "", stale: false };
  const conditions = enactment.status?.conditions;
  const phase = currentPhase(conditions) ?? "Pending";
  const condition = conditions?.find((c) => c.type === phase && c.status === "True");
  return {
    node,
    phase,
    reason: condition?.reason ?? "NoStatus",
    message: condition?.message ?? "no status written yet",
    resourceVersion: enactment.metadata.resourceVersion ?? "",
    ...(condition?.lastTransitionTime ? { since: condition.lastTransitionTime } : {}),
    stale: enactment.status?.policyGeneration !== undefined && enactment.status.policyGeneration !== generation,
  };
}

/** The policy an Event is about: it regards an enactment, `<node>.<policy>` with labels saying which. */
function policyOfEvent(event: DashboardEvent, enactments: ReadonlyMap<string, Enactment>): string | undefined {
  if (event.regarding.kind === "NodeNetworkConfigurationPolicy") return event.regarding.name;
  if (event.regarding.kind !== "NodeNetworkConfigurationEnactment") return undefined;
  const labelled = enactments.get(event.regarding.name)?.metadata.labels?.[POLICY_LABEL];
  if (labelled) return labelled;
  // The enactment may be gone (a policy deleted): node names have no dots in the lab, but may elsewhere.
  const dot = event.regarding.name.indexOf(".");
  return dot > 0 ? event.regarding.name.slice(dot + 1) : undefined;
}

export function clusterView(objects: ClusterObjects): ClusterView {
  const stateOf = new Map(objects.states.map((s) => [s.metadata.name, s]));
  const enactmentsByName = new Map(objects.enactments.map((e) => [e.metadata.name, e]));
  const facts = objects.nodes.map((n) => ({ name: n.metadata.name, ready: isNodeReady(n), handled: stateOf.has(n.metadata.name), labels: n.metadata.labels ?? {} }));
  const eventsByPolicy = new Map<string, DashboardEvent[]>();
  for (const event of objects.events) {
    const policy = policyOfEvent(event, enactmentsByName);
    if (!policy) continue;
    const list = eventsByPolicy.get(policy) ?? [];
    list.push(event);
    eventsByPolicy.set(policy, list);
  }

  const policies: PolicyView[] = objects.policies.map((policy) => {
    const name = policy.metadata.name;
    const generation = policy.metadata.generation ?? 1;
    const mine = objects.enactments.filter((e) => e.metadata.labels?.[POLICY_LABEL] === name);
    const byNode = new Map(mine.map((e) => [e.metadata.labels?.[NODE_LABEL] ?? "", e]));
    // Every selected node gets a tile, and so does every node that has an enactment (it may have stopped matching).
    const nodes = new Set(facts.filter((n) => n.handled && selects(policy.spec?.nodeSelector, n.labels)).map((n) => n.name));
    for (const node of byNode.keys()) if (node) nodes.add(node);
    const conditions = policy.status?.conditions ?? [];
    const verdict = conditions.find((c) => c.status === "True");
    return {
      name,
      generation,
      nodeSelector: policy.spec?.nodeSelector ?? {},
      ...(policy.spec?.maxUnavailable !== undefined ? { maxUnavailable: policy.spec.maxUnavailable } : {}),
      ...(verdict ? { verdict: { type: verdict.type, reason: verdict.reason ?? "", message: verdict.message ?? "" } } : {}),
      conditions,
      counts: countPolicy(policy, facts, mine, selects),
      tiles: [...nodes].map((node) => tileOf(node, byNode.get(node), generation)).sort((a, b) => byName({ name: a.node }, { name: b.node })),
      events: (eventsByPolicy.get(name) ?? []).sort((a, b) => b.time.localeCompare(a.time)).slice(0, EVENTS_PER_POLICY),
    };
  });

  const nodes: NodeView[] = objects.nodes.map((node) => {
    const name = node.metadata.name;
    const state = stateOf.get(name);
    const lastUpdate = state?.status?.lastSuccessfulUpdateTime;
    return {
      name,
      ready: isNodeReady(node),
      reported: Boolean(state?.status?.currentState),
      ...(lastUpdate ? { lastUpdate } : {}),
      stateVersion: state?.metadata.resourceVersion ?? "",
      labels: node.metadata.labels ?? {},
      policies: objects.enactments
        .filter((e) => e.metadata.labels?.[NODE_LABEL] === name)
        .map((e) => {
          const tile = tileOf(name, e, objects.policies.find((p) => p.metadata.name === e.metadata.labels?.[POLICY_LABEL])?.metadata.generation ?? 1);
          return { policy: e.metadata.labels?.[POLICY_LABEL] ?? e.metadata.name, phase: tile.phase, reason: tile.reason, message: tile.message };
        })
        .sort((a, b) => a.policy.localeCompare(b.policy)),
    };
  });
  return { nodes: nodes.sort(byName), policies: policies.sort(byName) };
}
