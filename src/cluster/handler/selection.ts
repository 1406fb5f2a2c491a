/** Which policies apply to a node, and how many of its nodes may change at once. */

/** kubernetes-nmstate's nodeSelector: every listed label must equal the node's. */
export function selects(nodeSelector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(nodeSelector ?? {}).every(([key, value]) => labels?.[key] === value);
}

/**
 * maxUnavailable as an absolute number of nodes: an integer, or a percentage of
 * the matching nodes rounded down; default "50%"; never less than 1 (so a
 * policy always makes progress).
 */
export function maxUnavailableNodes(maxUnavailable: number | string | undefined, matchingNodes: number): number {
  const value = maxUnavailable ?? "50%";
  let n: number;
  if (typeof value === "number") n = value;
  else if (/^\d+%$/.test(value.trim())) n = Math.floor((Number(value.trim().slice(0, -1)) / 100) * matchingNodes);
  else if (/^\d+$/.test(value.trim())) n = Number(value.trim());
  else throw new Error(`maxUnavailable: "${value}" is neither a number nor a percentage`);
  return Math.max(1, n);
}
