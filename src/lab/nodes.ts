/**
 * EXTENSION POINT — lab nodes (issue 6: "Node handler and lab nodes").
 *
 * `lab up --nodes N` will add here: a switch namespace (a bridge), a router
 * namespace (gateway, DHCP and DNS with dnsmasq), N node namespaces with eth0
 * and eth1 cabled to the switch, a control-plane namespace on the switch at
 * 192.0.2.2 whose forwarder carries :6443 over a Unix socket to the API
 * server on the host's 127.0.0.1 (docs/adr/0004-lab-control-plane.md), a
 * Node object and a handler process per node. Everything it starts or makes
 * must be recorded in `LabNodes` (written with the lab state) before it is
 * waited on, so `stopNodes` can undo it after a crash.
 *
 * Until then only `--nodes 0` is accepted, and it is refused before anything
 * is started.
 */
import { NodenetError } from "../errors.ts";
import type { ControlPlane } from "./controlplane/types.ts";

/** What the node part of a lab started and made. Issue 6 extends this. */
export interface LabNodes {
  count: number;
}

export interface NodesContext {
  name: string;
  dir: string;
  controlPlane: ControlPlane;
  /** Persist `nodes` (call after every step that started or made something). */
  save: (nodes: LabNodes) => void;
  progress: (message: string) => void;
}

/** The address nodes will reach the API server at, in the simulated network; the serving certificate carries it. */
export const CONTROL_PLANE_ADDRESS = "192.0.2.2";

/** Refuses what cannot be built, before `lab up` starts anything. */
export function checkNodesSupported(count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new NodenetError("invalid-input", `--nodes takes a whole number ≥ 0, not ${count}`);
  if (count > 0) throw new NodenetError("unsupported", "lab nodes come with the handler (issue 6); run `nodenet lab up --nodes 0` for the control plane alone");
}

export async function startNodes(_context: NodesContext, count: number): Promise<LabNodes> {
  checkNodesSupported(count);
  return { count: 0 };
}

/** Stops and removes whatever `startNodes` recorded. Idempotent; must work from a partial record. */
export async function stopNodes(_context: Omit<NodesContext, "controlPlane"> & { controlPlane?: ControlPlane }, _nodes: LabNodes): Promise<void> {}

/** Lines for `lab status`. */
export function describeNodes(nodes: LabNodes): { summary: string; nodes: unknown[] } {
  return { summary: nodes.count ? `${nodes.count} nodes` : "no nodes (lab nodes come with issue 6)", nodes: [] };
}
