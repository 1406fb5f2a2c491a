/**
 * What kind of document a user handed us: a plain nmstate state, an nmpolicy
 * document (`capture` + `desiredState`), or a kubernetes-nmstate
 * NodeNetworkConfigurationPolicy manifest. All three are accepted by every
 * command that takes a state, so `kubectl`-ready files can be tried locally.
 */
import { invalid, type Issue, type IssuePath } from "../issues.ts";

export type Envelope =
  | { kind: "state"; state: unknown; path: IssuePath }
  | { kind: "policy"; capture: Record<string, string>; desiredState: unknown; path: IssuePath; capturePath: IssuePath };

const POLICY_KIND = "NodeNetworkConfigurationPolicy";
/** The versions kubernetes-nmstate serves for policies (v1 stored, v1beta1 still served). */
const POLICY_VERSIONS = ["nmstate.io/v1", "nmstate.io/v1beta1"];

export function openEnvelope(value: unknown): { envelope?: Envelope; issues: Issue[] } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { issues: [invalid([], "expected a mapping with `interfaces`, `routes`, `route-rules`, `dns-resolver` or `hostname`")] };
  }
  const doc = value as Record<string, unknown>;
  if ("apiVersion" in doc || "kind" in doc) {
    if (doc.kind !== POLICY_KIND || typeof doc.apiVersion !== "string" || !doc.apiVersion.startsWith("nmstate.io/")) {
      return {
        issues: [invalid(["kind"], `a ${String(doc.kind)} (${String(doc.apiVersion)}) is not a network state`, `expected nmstate.io ${POLICY_KIND}`)],
      };
    }
    if (!POLICY_VERSIONS.includes(doc.apiVersion)) {
      return { issues: [invalid(["apiVersion"], `unknown API version ${JSON.stringify(doc.apiVersion)} of ${POLICY_KIND}`, `use ${POLICY_VERSIONS.join(" or ")}`)] };
    }
    const spec = (doc.spec ?? {}) as Record<string, unknown>;
    return policyOf(spec, ["spec"]);
  }
  if ("desiredState" in doc || "desired" in doc || "capture" in doc) return policyOf(doc, []);
  return { envelope: { kind: "state", state: doc, path: [] }, issues: [] };
}

function policyOf(doc: Record<string, unknown>, prefix: IssuePath): { envelope?: Envelope; issues: Issue[] } {
  const issues: Issue[] = [];
  const capture = doc.capture ?? {};
  if (typeof capture !== "object" || capture === null || Array.isArray(capture)) {
    issues.push(invalid([...prefix, "capture"], "capture must map names to expressions"));
  } else {
    for (const [name, expression] of Object.entries(capture)) {
      if (typeof expression !== "string") issues.push(invalid([...prefix, "capture", name], "a capture expression must be a string"));
    }
  }
  // nmpolicy documents name the state `desired` (nmstate's NetworkPolicy
  // field); `desiredState` is its alias there and the only name in a
  // NodeNetworkConfigurationPolicy's spec.
  const key = prefix.length === 0 && "desired" in doc ? "desired" : "desiredState";
  if (prefix.length === 0 && "desired" in doc && "desiredState" in doc) {
    issues.push(invalid([...prefix, "desired"], "desired and desiredState are two names for one field; give only one"));
  }
  if (!(key in doc)) issues.push(invalid([...prefix, "desiredState"], "a policy needs a desiredState"));
  if (issues.length) return { issues };
  return {
    envelope: {
      kind: "policy",
      capture: capture as Record<string, string>,
      desiredState: doc[key],
      path: [...prefix, key],
      capturePath: [...prefix, "capture"],
    },
    issues,
  };
}
