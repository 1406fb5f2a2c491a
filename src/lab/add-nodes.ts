/**
 * `nodenet lab add-node [--count N]`: more nodes for a running lab — the
 * next ones of its plan (node-6, node-7 after five), made and cabled as at
 * `lab up` (src/lab/network/grow.ts), each with its Node object, agent and
 * handler; returns once they are Ready and report their NodeNetworkState.
 * They carry the lab's node labels, so policies selecting every node reach
 * them at once.
 */
import { NodenetError } from "../errors.ts";
import { createKube, loadKubeConfig } from "../cluster/kube/config.ts";
import { growLabNetwork } from "./network/grow.ts";
import { processRecorder, startAgentNode, waitForLabNodes, type LabNodes } from "./nodes.ts";
import { labRoot, lockLab, readLabState, writeLabState } from "./state.ts";

export async function addLabNodes(lab: string, count: number, progress: (line: string) => void = () => undefined, root = labRoot()): Promise<string[]> {
  const lock = lockLab(lab, root);
  try {
    const state = readLabState(lab, root);
    const cp = state?.controlPlane;
    if (!state || !cp || !state.nodes.count || !state.nodes.kubeconfigs) throw new NodenetError("invalid-input", `lab "${lab}" has no running nodes to add to ('nodenet lab up --nodes N' first)`);
    if (state.nodes.mode === "kubelet") throw new NodenetError("unsupported", `lab "${lab}" runs kubelets (lab up --kubelet); lab add-node adds only --agent nodes so far`);
    const fresh = await growLabNetwork(lab, count);
    progress(`network: ${fresh.map((n) => `${n.name} (eth0 ${n.address})`).join(", ")} cabled and configured`);
    const nodes: LabNodes = state.nodes;
    const save = (n: LabNodes) => writeLabState({ ...state, nodes: n });
    const kube = createKube(loadKubeConfig({ kind: "file", path: cp.kubeconfigs.admin }));
    const record = processRecorder(nodes, save);
    for (const node of fresh) await startAgentNode({ lab, dir: state.dir, kube, controlPlane: cp, nodes, record }, node.name);
    nodes.count += fresh.length;
    save(nodes);
    progress(`waiting for ${fresh.map((n) => n.name).join(", ")} to be Ready and report their NodeNetworkState`);
    await waitForLabNodes(kube, nodes.count);
    return fresh.map((n) => n.name);
  } finally {
    lock.release();
  }
}
