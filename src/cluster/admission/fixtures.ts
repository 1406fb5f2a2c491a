/** Test fixtures: lab-like nodes (eth0 by DHCP holding the default route, eth1 bare) and policy requests. */
import type { NodeView } from "./check.ts";
import { readNodeState } from "./node-states.ts";
import type { AdmissionRequest } from "./review.ts";

/** A node's NodeNetworkState currentState, as its handler reports it. */
export function labState(n: number, extra: Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    interfaces: [
      { name: "eth0", type: "ethernet", state: "up", "mac-address": `02:00:00:00:00:0${n}`, ipv4: { enabled: true, dhcp: true, address: [{ ip: `192.0.2.10${n}`, "prefix-length": 24 }] }, ipv6: { enabled: false } },
      { name: "eth1", type: "ethernet", state: "up", ipv4: { enabled: false }, ipv6: { enabled: false } },
      ...extra,
    ],
    routes: { running: [{ destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth0", "table-id": 254 }], config: [] },
  };
}

export function labNode(n: number, state: Record<string, unknown> | null = labState(n), labels: Record<string, string> = {}): NodeView {
  const read = state === null ? undefined : readNodeState(state);
  return { name: `node-${n}`, labels: { "kubernetes.io/hostname": `node-${n}`, ...labels }, ...(read ? { state: read } : {}) };
}

export const policyObject = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "nmstate.io/v1", kind: "NodeNetworkConfigurationPolicy", metadata: { name }, spec });

export function policyRequest(spec: Record<string, unknown>, options: { operation?: AdmissionRequest["operation"]; oldSpec?: Record<string, unknown>; name?: string } = {}): AdmissionRequest {
  const name = options.name ?? "p";
  return {
    uid: "0b6d8b4e-1f59-4c5e-9b8f-6a1b8d1e2f3a",
    kind: { group: "nmstate.io", version: "v1", kind: "NodeNetworkConfigurationPolicy" },
    resource: { group: "nmstate.io", version: "v1", resource: "nodenetworkconfigurationpolicies" },
    name,
    operation: options.operation ?? "CREATE",
    userInfo: { username: "alice" },
    object: policyObject(name, spec),
    ...(options.oldSpec ? { oldObject: policyObject(name, options.oldSpec) } : {}),
  };
}

/** A route via eth1 to a gateway outside eth1's new subnet. */
export const GATEWAY_OUTSIDE = {
  desiredState: {
    interfaces: [{ name: "eth1", type: "ethernet", state: "up", ipv4: { enabled: true, address: [{ ip: "198.51.100.20", "prefix-length": 24 }] } }],
    routes: { config: [{ destination: "203.0.113.0/24", "next-hop-address": "192.0.2.254", "next-hop-interface": "eth1" }] },
  },
};

export const MANAGEMENT_MISTAKE = {
  desiredState: { interfaces: [{ name: "br0", type: "linux-bridge", state: "up", bridge: { options: { stp: { enabled: false } }, port: [{ name: "eth0" }] } }] },
};
