/**
 * The admission decision for a NodeNetworkConfigurationPolicy request. Pure:
 * the nodes (labels and reported states) are passed in.
 *
 *   not a policy, not CREATE/UPDATE, a subresource      → allowed (not ours to judge)
 *   UPDATE that leaves spec as it was (labels, finalizers,
 *     a policy being deleted)                           → allowed without a check
 *   CREATE, or UPDATE of spec                           → checked (check.ts):
 *     any error on any checked node                     → refused (422 Invalid), every
 *                                                         error with its path and nodes
 *     otherwise                                         → allowed, warnings attached
 */
import { deepEqual } from "../../state/objects.ts";
import { PolicySchema } from "../api/policy.ts";
import { GROUP, POLICY } from "../api/resources.ts";
import { checkPolicy, hasErrorFindings, type CheckLimits, type NodeView } from "./check.ts";
import type { PeerPolicy } from "./conflicts.ts";
import { admissionWarnings, denialMessage } from "./message.ts";
import { allow, deny, type AdmissionRequest, type Decision } from "./review.ts";

export interface PolicyDecision {
  decision: Decision;
  /** One line for the controller's log. */
  summary: string;
}

const specOf = (object: unknown) => (object && typeof object === "object" ? (object as { spec?: unknown }).spec : undefined);

export function decidePolicy(request: AdmissionRequest, nodes: readonly NodeView[], limits: CheckLimits, others: readonly PeerPolicy[] = []): PolicyDecision {
  const name = request.name ?? "(unnamed)";
  if (request.kind.group !== GROUP || request.kind.kind !== POLICY.kind || request.subResource) {
    return { decision: allow(), summary: `${request.kind.kind}${request.subResource ? `/${request.subResource}` : ""} ${name}: not a policy spec; allowed` };
  }
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return { decision: allow(), summary: `${request.operation} ${name}: allowed` };
  if (request.operation === "UPDATE" && deepEqual(specOf(request.object), specOf(request.oldObject))) {
    return { decision: allow(), summary: `UPDATE ${name}: spec unchanged; allowed` };
  }
  const parsed = PolicySchema.safeParse(request.object);
  if (!parsed.success) {
    const message = `the object is not a NodeNetworkConfigurationPolicy: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
    return { decision: deny({ code: 400, reason: "BadRequest", message }), summary: `${request.operation} ${name}: malformed; refused` };
  }
  const policy = parsed.data;
  const check = checkPolicy({ name: policy.metadata.name, spec: policy.spec, creationTimestamp: policy.metadata.creationTimestamp }, nodes, limits, others);
  const warnings = admissionWarnings(check);
  const counted = `${check.checked.length}/${check.selected.length} selected nodes checked`;
  if (hasErrorFindings(check)) {
    const errors = check.findings.filter((f) => f.issue.severity === "error").length;
    return {
      decision: deny({ code: 422, reason: "Invalid", message: denialMessage(policy.metadata.name, check) }, warnings),
      summary: `${request.operation} ${policy.metadata.name}: refused, ${errors} error${errors === 1 ? "" : "s"} (${counted})`,
    };
  }
  return { decision: allow(warnings), summary: `${request.operation} ${policy.metadata.name}: allowed with ${warnings.length} warning${warnings.length === 1 ? "" : "s"} (${counted})` };
}
