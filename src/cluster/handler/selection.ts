/** Which policies apply to a node, and how many of its nodes may change at once. */
import { effectiveMaxUnavailable } from "../api/max-unavailable.ts";

/** kubernetes-nmstate's nodeSelector: every listed label must equal the node's. */
export function selects(nodeSelector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(nodeSelector ?? {}).every(([key, value]) => labels?.[key] === value);
}

/** maxUnavailable as a number of nodes (src/cluster/api/max-unavailable.ts: accepted values, clamping). */
export function maxUnavailableNodes(maxUnavailable: number | string | undefined, matchingNodes: number): number {
  return effectiveMaxUnavailable(maxUnavailable, matchingNodes).nodes;
}
