/**
 * A lab node's persistent directory: what a real node keeps on its disk
 * (/etc/nodenet), kept in the lab network's directory so that it outlives the
 * node's namespace (a lab reboot deletes the namespace, not this) and goes with
 * the lab when it is destroyed.
 * Never the machine's own /etc/nodenet: the lab's nodes are not this host.
 */
import { join } from "node:path";
import { labNetworkPaths } from "./network/paths.ts";

export function labNodePersistDir(lab: string, node: string): string {
  return join(labNetworkPaths(lab).dir, "nodes", node, "etc-nodenet");
}

export function labNodeRecord(lab: string, node: string): string {
  return join(labNodePersistDir(lab, node), "state.yml");
}
