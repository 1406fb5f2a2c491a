/**
 * What admission finds in a NodeNetworkConfigurationPolicy: the same loading
 * (captures rendered, desiredState parsed) and semantic validation as
 * `nodenet validate`, run against the current state of each node the policy
 * selects, as its NodeNetworkState reports it. Pure: the caller passes the
 * nodes in.
 *
 * Guarantees:
 * - a finding that does not depend on a node (a parse error of a policy
 *   without captures) is reported once, without nodes; every other finding
 *   names the nodes it was found on;
 * - nodes whose states are identical are checked once;
 * - at most `maxStates` distinct states are checked, and no new check starts
 *   after `budgetMs`: the nodes left over are listed in `unchecked` (each
 *   node's handler checks again before it applies anything).
 * Caveat: an interface the policy uses but neither the node has nor the
 * policy creates is not an error here — another policy may create it, and the
 * handler waits for it (src/cluster/handler/neighbours.ts). It becomes a
 * warning, and the findings about it are left out.
 */
import { didYouMean, type Issue, type IssuePath } from "../../state/issues.ts";
import { loadDesired, type LoadResult, type SourceFile } from "../../state/load.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { validate, type ValidateOptions } from "../../state/validate/index.ts";
import { maxUnavailableIssues } from "../api/max-unavailable.ts";
import { conflictWarnings, type PeerPolicy } from "./conflicts.ts";
import type { PolicySpec } from "../api/policy.ts";
import { missingInterfaces } from "../handler/neighbours.ts";
import { selects } from "../handler/selection.ts";
import { checkPlacement } from "./pools.ts";

/** A node as admission sees it: labels, and its reported state if it has one. */
export interface NodeView {
  name: string;
  labels: Record<string, string>;
  /** For `{{ node.annotations["KEY"] }}` templates. */
  annotations?: Record<string, string>;
  state?: NodeCurrentState;
}

export type NodeCurrentState =
  | {
      readable: true;
      /** status.currentState as reported: what capture expressions run on. */
      raw: Record<string, unknown>;
      parsed: NetworkState;
      /** Equal keys mean equal states (checked once). */
      key: string;
    }
  | { readable: false; reason: string };

export interface CheckLimits {
  /** Distinct node states checked at most. */
  maxStates: number;
  /** No check of a further node state starts after this many milliseconds. */
  budgetMs: number;
  validateOptions?: ValidateOptions;
  now?: () => number;
}

export interface PolicyInput {
  name: string;
  spec: PolicySpec | undefined;
  /** Absent on a policy not created yet: the youngest. */
  creationTimestamp?: string | undefined;
}

export interface Finding {
  issue: Issue;
  /** The nodes it was found on; empty when it does not depend on a node. */
  nodes: string[];
}

export interface PolicyCheck {
  findings: Finding[];
  /** Every node the policy selects, by name. */
  selected: string[];
  /** Nodes the policy was checked against. */
  checked: string[];
  /** Selected nodes without a NodeNetworkState yet. */
  unreported: string[];
  /** Selected nodes whose state could not be read, with why. */
  unreadable: { node: string; reason: string }[];
  /** Selected nodes left out by the limits. */
  unchecked: string[];
  /** The policy has no desiredState (it changes nothing). */
  empty: boolean;
  /** It uses captures (they were rendered on each checked node). */
  usesCapture: boolean;
}

export const hasErrorFindings = (check: PolicyCheck) => check.findings.some((f) => f.issue.severity === "error");

/** The policy as `nodenet validate` would read it from a file: a NodeNetworkConfigurationPolicy document. */
function sourceOf(policy: PolicyInput, desiredState: unknown = policy.spec?.desiredState ?? {}): SourceFile {
  const spec = policy.spec ?? {};
  const document = {
    apiVersion: "nmstate.io/v1",
    kind: "NodeNetworkConfigurationPolicy",
    metadata: { name: policy.name },
    spec: { ...(spec.capture ? { capture: spec.capture } : {}), desiredState },
  };
  return { file: `policy ${policy.name}`, text: JSON.stringify(document) };
}

/** Locations in a request body mean nothing to the person who ran kubectl: paths say where. */
const withoutSource = (issue: Issue): Issue => {
  if (!issue.source) return issue;
  const { source: _source, ...rest } = issue;
  return rest;
};

class Findings {
  private readonly byKey = new Map<string, Finding>();

  add(issues: readonly Issue[], nodes: readonly string[]): void {
    for (const raw of issues) {
      const issue = withoutSource(raw);
      const key = JSON.stringify([issue.severity, issue.kind, issue.path, issue.message, issue.hint ?? ""]);
      const found = this.byKey.get(key);
      if (found) found.nodes.push(...nodes.filter((n) => !found.nodes.includes(n)));
      else this.byKey.set(key, { issue, nodes: [...nodes] });
    }
  }

  list(): Finding[] {
    const rank = (f: Finding) => (f.issue.severity === "error" ? 0 : 1);
    return [...this.byKey.values()].sort((a, b) => rank(a) - rank(b));
  }
}

function valueAt(value: unknown, path: IssuePath): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/**
 * Whether an issue is about an interface the node does not have and the
 * policy does not create (so it is a dependency, not a mistake): the field at
 * fault names it, the issue is addressed to it by name, or it belongs to a
 * route or rule through it.
 */
function concernsMissing(desired: NetworkState, path: IssuePath, missing: ReadonlySet<string>): boolean {
  const value = valueAt(desired, path);
  if (typeof value === "string" && missing.has(value)) return true;
  if (path[0] === "interfaces" && typeof path[1] === "string") return missing.has(path[1].replace(/^\((.*)\)$/, "$1"));
  if ((path[0] === "routes" || path[0] === "route-rules") && path[1] === "config" && typeof path[2] === "number") {
    const entry = valueAt(desired, path.slice(0, 3)) as Record<string, unknown> | undefined;
    return ["next-hop-interface", "iif", "oif"].some((key) => typeof entry?.[key] === "string" && missing.has(entry[key] as string));
  }
  return false;
}

/** The first place in `desired` that names `name` (depth first, in document order). */
function firstUse(value: unknown, name: string, path: (string | number)[] = []): IssuePath | undefined {
  if (value === name) return path;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const found = firstUse(child, name, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

function dependencyWarning(desired: NetworkState, name: string, current: NetworkState): Issue {
  const guess = didYouMean(name, (current.interfaces ?? []).map((i) => i.name));
  return {
    severity: "warning",
    kind: "invalid",
    path: firstUse(desired, name) ?? [],
    message: `${name} does not exist on the node and this policy does not create it: the node waits for another policy to create it, and fails if none does`,
    ...(guess ? { hint: `did you mean ${guess}?` } : {}),
  };
}

/** Every issue of the policy on one node state, with paths into the policy (`spec.desiredState…`, `spec.capture…`). */
function issuesOn(source: SourceFile, shared: LoadResult | undefined, state: NodeCurrentState & { readable: true }, options: ValidateOptions): Issue[] {
  const loaded = shared ?? loadDesired([source], { current: () => state.raw });
  const issues = shared ? [] : [...loaded.issues];
  const desired = loaded.state ?? loaded.partial;
  if (!desired) return issues;
  const missing = new Set(missingInterfaces(desired, state.parsed));
  const found = validate(desired, state.parsed, options).issues.filter((issue) => !concernsMissing(desired, issue.path, missing));
  found.push(...[...missing].map((name) => dependencyWarning(desired, name, state.parsed)));
  issues.push(...loaded.relocate(found));
  return issues;
}

/** `others`: the policies that exist already, for the conflict warnings (conflicts.ts). */
export function checkPolicy(policy: PolicyInput, nodes: readonly NodeView[], limits: CheckLimits, others: readonly PeerPolicy[] = []): PolicyCheck {
  const now = limits.now ?? (() => performance.now());
  const started = now();
  const usesCapture = Object.keys(policy.spec?.capture ?? {}).length > 0;
  const findings = new Findings();
  const selected = nodes.filter((n) => selects(policy.spec?.nodeSelector, n.labels)).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  // Address pools and node templates (pools.ts): filled in before the desired state is read.
  const placement = checkPlacement(policy.spec, selected.length);
  findings.add(placement.issues, []);
  const placed = placement.render(selected[0] ?? { name: "(node)", labels: {} });
  const source = sourceOf(policy, placed.ok ? placed.desiredState : policy.spec?.desiredState);
  const perNode = usesCapture || placement.perNode;
  // Without captures or node templates the policy reads the same everywhere: parse it once, report its parse problems once.
  const shared = perNode || !placed.ok ? undefined : loadDesired([source]);
  if (shared) findings.add(shared.issues, []);

  const result: PolicyCheck = {
    findings: [],
    selected: selected.map((n) => n.name),
    checked: [],
    unreported: [],
    unreadable: [],
    unchecked: [],
    empty: policy.spec?.desiredState === undefined,
    usesCapture,
  };
  findings.add(maxUnavailableIssues(policy.spec?.maxUnavailable, selected.length), []);
  for (const conflict of conflictWarnings(policy, others, nodes)) findings.add([conflict.issue], conflict.nodes);
  const groups = new Map<string, { state: NodeCurrentState & { readable: true }; nodes: string[] }>();
  const sources = new Map<string, SourceFile>();
  for (const node of selected) {
    const mine = placement.perNode ? placement.render(node) : placed;
    if (!mine.ok) {
      findings.add(mine.issues, [node.name]);
      continue;
    }
    if (!node.state) result.unreported.push(node.name);
    else if (!node.state.readable) result.unreadable.push({ node: node.name, reason: node.state.reason });
    else {
      const nodeSource = placement.perNode ? sourceOf(policy, mine.desiredState) : source;
      const key = placement.perNode ? `${node.state.key}\n${nodeSource.text}` : node.state.key;
      sources.set(key, nodeSource);
      const group = groups.get(key);
      if (group) group.nodes.push(node.name);
      else groups.set(key, { state: node.state, nodes: [node.name] });
    }
  }
  let evaluated = 0;
  for (const [key, { state, nodes: names }] of groups) {
    if (evaluated >= limits.maxStates || now() - started > limits.budgetMs) {
      result.unchecked.push(...names);
      continue;
    }
    evaluated++;
    findings.add(issuesOn(sources.get(key)!, shared, state, limits.validateOptions ?? {}), names);
    result.checked.push(...names);
  }
  result.findings = findings.list();
  return result;
}
