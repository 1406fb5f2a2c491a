/**
 * The lab's simulated data centre network: a switch, a router with DHCP and
 * DNS, a control-plane edge that relays to the host's API server, and node
 * namespaces whose eth0 nodenet configures by DHCP. See plan.ts for the layout.
 */
export { createLabNetwork, describeLabNetworkEvent, type CreateLabNetworkOptions, type LabNetwork, type LabNetworkEvent } from "./create.ts";
export { destroyLabNetwork, type DestroyReport } from "./destroy.ts";
export { checkApiReachable, execInNode, labPlan, labTargetNetns, setNodeCable } from "./node.ts";
export { labDir, labNetworkPaths, labsRoot, type LabNetworkPaths } from "./paths.ts";
export { checkLabName, dataAddress, labDnsmasqConfig, labNamespacePattern, labNamespaces, MAX_NODES, nodeDesiredState, nodeName, nodeNetns, planLabNetwork, type LabNetworkPlan, type LabNodePlan } from "./plan.ts";
export type { LabNetworkRecord, LabProcessRecord, LabProcessRole } from "./record.ts";
export { formatLabNetworkStatus, labNetworkStatus, listLabNetworks, type LabNetworkStatus, type LabNodeStatus, type LabProcessStatus } from "./status.ts";
