/**
 * A 3-node lab of the test file's own (control plane, simulated network,
 * handlers, controller), started in `before` and removed in `after`, with the
 * tools the tests need: kubectl, exec in a node, typed clients, waiting.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import { connect, type Kube } from "../../src/cluster/kube/config.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../../src/cluster/kube/resources.ts";
import { labDown, labUp } from "../../src/lab/lab.ts";
import { restartLabProcess, type NodeMode } from "../../src/lab/nodes.ts";
import { readLabState, writeLabState } from "../../src/lab/state.ts";
import { labNetworkStatus, nodeNetns } from "../../src/lab/network/index.ts";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.on("error", () => undefined); // a command that exits at once closes its stdin
    child.stdin?.end(input ?? "");
  });
}

export interface NodeLab {
  name: string;
  kubeconfig: string;
  kube: Kube;
  policies: ReturnType<typeof policyClient>;
  enactments: ReturnType<typeof enactmentClient>;
  states: ReturnType<typeof nodeStateClient>;
  kubectl(args: readonly string[], input?: string): Promise<Run>;
  /** `ip netns exec <node namespace> argv…` */
  exec(node: string, argv: readonly string[]): Promise<Run>;
  netns(node: string): string;
  restart(process: string): Promise<void>;
  /** The PID of a lab process (handler-node-1, agent-node-1, controller). */
  pid(process: string): number;
}

/** `mode` "kubelet": real kubelets and containerd, the handler as deploy/'s DaemonSet (the pods suite). */
export function nodeLab(prefix: string, nodes = 3, mode: NodeMode = "agent"): () => NodeLab {
  const name = `${prefix}${randomBytes(2).toString("hex")}`;
  let lab: NodeLab | undefined;
  before(async () => {
    const up = await labUp({ name, nodes, mode, progress: (m) => process.stdout.write(`# [lab ${name}] ${m}\n`) });
    const kubeconfig = up.state.controlPlane!.kubeconfigs.admin;
    const kube = connect(kubeconfig);
    lab = {
      name,
      kubeconfig,
      kube,
      policies: policyClient(kube),
      enactments: enactmentClient(kube),
      states: nodeStateClient(kube),
      kubectl: (args, input) => run("kubectl", ["--kubeconfig", kubeconfig, ...args], input),
      exec: (node, argv) => run("ip", ["netns", "exec", nodeNetns(name, Number(node.split("-").at(-1))), ...argv]),
      netns: (node) => nodeNetns(name, Number(node.split("-").at(-1))),
      async restart(processName) {
        const state = readLabState(name)!;
        await restartLabProcess(state.nodes, processName, (n) => writeLabState({ ...state, nodes: n }));
      },
      pid(processName) {
        const p = readLabState(name)!.nodes.processes?.find((r) => r.name === processName);
        if (!p) throw new Error(`no process ${processName}`);
        return p.pid;
      },
    };
  }, { timeout: mode === "kubelet" ? 900_000 : 240_000 });
  after(async () => {
    await labDown(name);
  }, { timeout: 120_000 });
  return () => {
    if (!lab) throw new Error("the lab did not come up");
    return lab;
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

export { labNetworkStatus };
