/**
 * The node part of a lab (`lab up --nodes N`): the simulated network
 * (src/lab/network: switch, router with DHCP/DNS, control-plane edge,
 * node namespaces), a Node object per node, and per node two processes
 * running INSIDE its namespace — the node agent (plays kubelet: heartbeat,
 * pods) and the nodenet handler — plus the nodenet controller on the host,
 * which serves the policy admission webhook on 127.0.0.1 (where the API
 * server calls it); `lab up` ends once the webhook answers.
 *
 * Nodes reach the API server only at 192.0.2.2:6443 through the simulated
 * network, so a node that breaks its own network really loses it
 * (docs/adr/0004-lab-control-plane.md). The RBAC in deploy/ is exercised
 * for real: the controller uses a client certificate for its service account,
 * and each handler a token of its service account bound to its Node — the
 * identity a handler pod's projected token gives it in a cluster, whose
 * node-name claim deploy/rbac/drain.yaml checks before letting a handler
 * cordon a node.
 *
 * Everything started is recorded in `LabNodes` (saved with the lab state)
 * before it is waited on, so `stopNodes` can undo it after a crash.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NodenetError } from "../errors.ts";
import { nodeChildEnv } from "../node-env.ts";
import { createKube, loadKubeConfig, type Kube } from "../cluster/kube/config.ts";
import { parseManifests, serverSideApply } from "../cluster/kube/apply.ts";
import { isNodeReady, NodeSchema } from "../cluster/kube/nodes.ts";
import { isAlreadyExists } from "../cluster/kube/errors.ts";
import { nodeStateClient } from "../cluster/kube/resources.ts";
import { probeWebhook } from "../cluster/admission/probe.ts";
import { issueClientCert } from "./controlplane/pki.ts";
import { freePort } from "./controlplane/ports.ts";
import { writeKubeconfig } from "./controlplane/kubeconfig.ts";
import { exeOf, spawnLogged, stopProcess, type ProcessRecord } from "./supervisor.ts";
import { processStartTicks } from "../process-alive.ts";
import { defaultStateDir } from "../host/kernel/paths.ts";
import { labNodeRecord } from "./node-record.ts";
import type { ControlPlane } from "./controlplane/types.ts";
import { describeKubeletTrouble, startKubeletNodes, stopKubeletNodes } from "./kubelet/nodes.ts";
import type { KubeletNodeRecord } from "./kubelet/node.ts";
import { createLabNetwork, describeLabNetworkEvent, destroyLabNetwork, labNetworkStatus, nodeName, nodeNetns } from "./network/index.ts";

/** What the node part of a lab started and made. */
export interface LabNodes {
  count: number;
  /** The simulated network was (at least partly) created. */
  network?: boolean;
  /** Node agents, handlers and the controller. */
  processes?: ProcessRecord[];
  /** Kubeconfigs for the nodes' and controller's identities; a handler's is per node (its token names the node). */
  kubeconfigs?: { handlers: Record<string, string>; agent: string; controller: string };
  /** The dashboard the controller serves (on the host's 127.0.0.1), e.g. http://127.0.0.1:40123/. */
  dashboardUrl?: string;
  /** "kubelet": real kubelets and containerd run the handler DaemonSet; "agent": node agents and handler processes (fast). Absent: agent (older records). */
  mode?: NodeMode;
  /** Kubelet mode: what each node's containerd and kubelet made. */
  kubelets?: KubeletNodeRecord[];
}

export type NodeMode = "kubelet" | "agent";

export interface NodesContext {
  name: string;
  dir: string;
  controlPlane: ControlPlane;
  /** Persist `nodes` (call after every step that started or made something). */
  save: (nodes: LabNodes) => void;
  progress: (message: string) => void;
}

/** The address nodes reach the API server at, in the simulated network; the serving certificate carries it. */
export const CONTROL_PLANE_ADDRESS = "192.0.2.2";
export const LAB_NAMESPACE = "nodenet";
const MAX_LAB_NODES = 20;
const CLI = new URL("../cli/main.ts", import.meta.url).pathname;
const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;

/** Refuses what cannot be built, before `lab up` starts anything. */
export function checkNodesSupported(count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new NodenetError("invalid-input", `--nodes takes a whole number ≥ 0, not ${count}`);
  if (count > MAX_LAB_NODES) throw new NodenetError("invalid-input", `--nodes: at most ${MAX_LAB_NODES} nodes fit a lab on one machine`);
}

/** Starts nodenet (`node src/cli/main.ts ARGS`) inside a namespace (or on the host), detached, logging to `log`. */
function startNodenet(name: string, netns: string | undefined, args: string[], log: string): ProcessRecord {
  const command = netns ? ["ip", "netns", "exec", netns, process.execPath] : [process.execPath];
  return spawnRecorded(name, command[0]!, [...command.slice(1), "--disable-warning=ExperimentalWarning", CLI, ...args], log);
}

/** `file args…` detached; recorded with node as its binary (`ip netns exec` execs it in place). */
function spawnRecorded(name: string, file: string, full: string[], log: string): ProcessRecord {
  const { pid, startTicks } = spawnLogged(file, full, log, { env: nodeChildEnv() });
  return { name, pid, binary: process.execPath, args: full, startTicks: startTicks ?? 0, log };
}

/**
 * `ip netns exec` usually execs node in place (same PID), but may instead fork
 * and wait for it: then the process to record — to stop, to kill, to see
 * alive — is its node child, not `ip`.
 */
async function recordNodeProcess(record: ProcessRecord): Promise<ProcessRecord> {
  if (record.args[0] !== "netns") return record;
  const exe = exeOf;
  for (let i = 0; i < 100; i++) {
    if (exe(record.pid) === process.execPath) return { ...record, startTicks: processStartTicks(record.pid) ?? record.startTicks };
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === record.pid && exe(Number(entry)) === process.execPath) {
          return { ...record, pid: Number(entry), startTicks: processStartTicks(Number(entry)) ?? 0 };
        }
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return record;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
}

const LAB_SERVER = `https://${CONTROL_PLANE_ADDRESS}:6443`;
/** As long as the lab's certificates (pki.ts): a lab token must not expire under a long-lived lab. */
const HANDLER_TOKEN_SECONDS = 365 * 24 * 3600;

async function identities(cp: ControlPlane, dir: string): Promise<Omit<NonNullable<LabNodes["kubeconfigs"]>, "handlers">> {
  const kubeconfig = async (who: string, user: string, groups: string[], viaLabNetwork: boolean) =>
    writeKubeconfig(join(dir, `${who}.kubeconfig`), {
      clusterName: "nodenet-lab",
      server: viaLabNetwork ? LAB_SERVER : cp.server,
      caCert: cp.pki.caCert,
      user,
      credentials: await issueClientCert(cp.pki, who, user, groups),
    });
  return {
    // The node agents play kubelet; kubelets are in system:nodes and much more privileged than nodenet.
    agent: await kubeconfig("agent", "nodenet-lab-node-agent", ["system:masters"], true),
    controller: await kubeconfig("controller", `system:serviceaccount:${LAB_NAMESPACE}:nodenet-controller`, ["system:serviceaccounts", `system:serviceaccounts:${LAB_NAMESPACE}`], false),
  };
}

/**
 * A handler's identity: a token of the nodenet-handler service account bound
 * to its Node (TokenRequest with boundObjectRef kind Node). The API server
 * then authenticates it as the service account with the extra
 * `authentication.kubernetes.io/node-name: NODE` — what a pod's projected
 * token carries in a cluster, and what the ValidatingAdmissionPolicy in
 * deploy/rbac/drain.yaml needs to let it cordon its own node and no other.
 * A client certificate cannot carry that claim.
 */
async function handlerIdentity(kube: Kube, cp: ControlPlane, dir: string, node: string): Promise<string> {
  const object = await kube.core.readNode({ name: node });
  const request = await kube.core.createNamespacedServiceAccountToken({
    name: "nodenet-handler",
    namespace: LAB_NAMESPACE,
    body: {
      spec: {
        // Empty: the API server's own audience.
        audiences: [],
        expirationSeconds: HANDLER_TOKEN_SECONDS,
        boundObjectRef: { apiVersion: "v1", kind: "Node", name: node, ...(object.metadata?.uid ? { uid: object.metadata.uid } : {}) },
      },
    },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`the API server issued no token for the handler of ${node}`);
  return writeKubeconfig(join(dir, `handler-${node}.kubeconfig`), {
    clusterName: "nodenet-lab",
    server: LAB_SERVER,
    caCert: cp.pki.caCert,
    user: `system:serviceaccount:${LAB_NAMESPACE}:nodenet-handler`,
    credentials: { token },
  });
}

/** The namespace, service accounts and RBAC from deploy/, as a cluster admin would install them. */
async function installRbac(kube: Kube): Promise<void> {
  for (const file of ["namespace.yaml", "rbac/handler.yaml", "rbac/controller.yaml", "rbac/drain.yaml", "rbac/events.yaml", "rbac/dashboard.yaml"]) {
    for (const object of parseManifests(readFileSync(join(DEPLOY, file), "utf8"))) {
      await serverSideApply(kube, object, { fieldManager: "nodenet-lab" });
    }
  }
}

async function createNode(kube: Kube, name: string): Promise<void> {
  try {
    await kube.core.createNode({
      body: {
        metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "node-role.kubernetes.io/worker": "", "nodenet.io/lab": "true" } },
        spec: {},
      },
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/** Records a started process at once (a crash right after still leaves it stoppable), then corrects it to node's own PID. */
export function processRecorder(nodes: LabNodes, save: (nodes: LabNodes) => void): (p: ProcessRecord) => Promise<void> {
  return async (p) => {
    const index = (nodes.processes ??= []).push(p) - 1;
    save(nodes);
    nodes.processes[index] = await recordNodeProcess(p);
    save(nodes);
  };
}

/** One node of an agent-mode lab: its Node object, its handler's identity, its agent and handler inside its namespace. */
export async function startAgentNode(
  context: { lab: string; dir: string; kube: Kube; controlPlane: ControlPlane; nodes: LabNodes; record: (p: ProcessRecord) => Promise<void> },
  node: string,
): Promise<void> {
  const { lab, dir, kube, nodes, record } = context;
  const logs = join(dir, "logs");
  await createNode(kube, node);
  const handlerKubeconfig = await handlerIdentity(kube, context.controlPlane, dir, node);
  nodes.kubeconfigs!.handlers[node] = handlerKubeconfig;
  const netns = nodeNetns(lab, Number(node.split("-").at(-1)));
  await record(startNodenet(`agent-${node}`, netns, ["lab", "node-agent", "--node", node, "--kubeconfig", nodes.kubeconfigs!.agent], join(logs, `agent-${node}.log`)));
  await record(
    startNodenet(
      `handler-${node}`,
      netns,
      // The same state directory as the lab used to configure eth0: the handler then owns that DHCP client.
      ["handler", "--node", node, "--kubeconfig", handlerKubeconfig, "--namespace", LAB_NAMESPACE, "--state-dir", defaultStateDir(netns), "--record", labNodeRecord(lab, node), "--metrics-port", "9490"],
      join(logs, `handler-${node}.log`),
    ),
  );
}

/** Waits until `count` lab nodes are Ready and have reported their NodeNetworkState. */
export async function waitForLabNodes(kube: Kube, count: number): Promise<void> {
  const states = nodeStateClient(kube);
  await waitFor("the nodes to be Ready and report their state", 60_000 + count * 15_000, async () => {
    const list = await kube.core.listNode({ labelSelector: "nodenet.io/lab=true" });
    const ready = list.items.filter((n) => isNodeReady(NodeSchema.parse(JSON.parse(JSON.stringify(n))))).length;
    const reported = (await states.list()).items.filter((s) => s.status?.currentState).length;
    return ready >= count && reported >= count;
  });
}

export async function startNodes(context: NodesContext, count: number, mode: NodeMode = "agent"): Promise<LabNodes> {
  checkNodesSupported(count);
  const nodes: LabNodes = { count, mode };
  if (count === 0) return nodes;
  const { name, dir, controlPlane: cp, progress } = context;
  const kube = createKube(loadKubeConfig({ kind: "file", path: cp.kubeconfigs.admin }));
  const logs = join(dir, "logs");
  mkdirSync(logs, { recursive: true });

  progress(`building the simulated network for ${count} nodes (switch, router with DHCP and DNS, control-plane edge at ${CONTROL_PLANE_ADDRESS})`);
  nodes.network = true;
  context.save(nodes);
  await createLabNetwork({ name, nodes: count, apiPort: cp.ports.apiServer, onEvent: (e) => progress(`  ${describeLabNetworkEvent(e)}`) });

  progress("installing the nodenet namespace, service accounts and RBAC (deploy/)");
  await installRbac(kube);
  nodes.kubeconfigs = { ...(await identities(cp, dir)), handlers: {} };
  context.save(nodes);

  nodes.processes = [];
  const record = processRecorder(nodes, context.save);
  const names = Array.from({ length: count }, (_, i) => nodeName(i + 1));
  if (mode === "kubelet") {
    for (const node of names) await createNode(kube, node);
    await startKubeletNodes({ lab: name, dir, controlPlane: cp, server: LAB_SERVER, kube, nodes, names, record, save: () => context.save(nodes), progress });
  } else {
    for (const node of names) await startAgentNode({ lab: name, dir, kube, controlPlane: cp, nodes, record }, node);
  }
  // The API server (on the host's 127.0.0.1) calls the controller's admission webhook there.
  const webhookPort = await freePort();
  // The controller serves the dashboard too, as it does in a cluster (deploy/dashboard.yaml), on the host's loopback only.
  const dashboardPort = await freePort();
  await record(
    startNodenet(
      "controller",
      undefined,
      ["controller", "--kubeconfig", nodes.kubeconfigs.controller, "--namespace", LAB_NAMESPACE, "--identity", `lab-${name}`,
        "--webhook-port", String(webhookPort), "--webhook-address", "127.0.0.1", "--webhook-url", `https://127.0.0.1:${webhookPort}`,
        "--dashboard-port", String(dashboardPort), "--dashboard-address", "127.0.0.1"],
      join(logs, "controller.log"),
    ),
  );
  const dashboardUrl = `http://127.0.0.1:${dashboardPort}/`;
  nodes.dashboardUrl = dashboardUrl;
  context.save(nodes);

  progress(`waiting for ${count} nodes to be Ready (their ${mode === "kubelet" ? "kubelets" : "agents"} heartbeat through the simulated network) and report their NodeNetworkState`);
  await waitForLabNodes(kube, count).catch(async (error: unknown) => {
    throw mode === "kubelet" ? new Error(`${(error as Error).message}\n${await describeKubeletTrouble(kube, nodes)}`) : error;
  });

  progress(`waiting for the policy admission webhook to be registered and answering (https://127.0.0.1:${webhookPort})`);
  let last = "";
  await waitFor("the admission webhook", 60_000, async () => {
    const probe = await probeWebhook(kube);
    last = probe.state === "failing" ? probe.detail : probe.state;
    return probe.state === "answering";
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)} (last: ${last}; see ${join(logs, "controller.log")})`);
  });
  progress(`waiting for the controller's dashboard (${dashboardUrl})`);
  await waitFor("the controller's dashboard", 30_000, async () => (await fetch(new URL("healthz", dashboardUrl))).ok).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)} at ${dashboardUrl} (see ${join(logs, "controller.log")})`);
  });
  return nodes;
}

/** Stops and removes whatever `startNodes` recorded. Idempotent; works from a partial record. */
export async function stopNodes(context: Omit<NodesContext, "controlPlane"> & { controlPlane?: ControlPlane }, nodes: LabNodes): Promise<void> {
  // Handlers first (they must not start a change while the network goes away), agents, then the controller.
  const order = (p: ProcessRecord) => (p.name.startsWith("handler-") ? 0 : p.name.startsWith("agent-") ? 1 : 2);
  for (const process of [...(nodes.processes ?? [])].sort((a, b) => order(a) - order(b))) {
    if (/^(kubelet|containerd)-/.test(process.name)) continue; // stopped with their pods, below
    await stopProcess(process, 5_000);
  }
  // A kubelet node that fails to stop must not keep the network (and its namespaces) alive: report it after.
  let kubeletFailure: unknown;
  if (nodes.kubelets?.length) {
    const t0 = Date.now();
    try {
      await stopKubeletNodes(context.dir, nodes.kubelets, nodes.processes ?? []);
      context.progress(`stopped the kubelets, their pods and containerd on ${nodes.kubelets.length} nodes (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      kubeletFailure = error;
      context.progress(`stopping the kubelet nodes failed: ${(error as Error).message}`);
    }
  }
  if (nodes.network || nodes.count > 0) {
    const report = await destroyLabNetwork(context.name);
    if (report.namespacesDeleted.length) context.progress(`removed the simulated network (${report.namespacesDeleted.length} namespaces)`);
  }
  if (kubeletFailure) throw kubeletFailure;
}

/**
 * Starts a lab process again (e.g. a handler killed by a test or by hand) with
 * the command line it was recorded with, and records the new PID.
 */
export async function restartLabProcess(nodes: LabNodes, processName: string, save: (nodes: LabNodes) => void): Promise<ProcessRecord> {
  const index = (nodes.processes ?? []).findIndex((p) => p.name === processName);
  const old = nodes.processes?.[index];
  if (!old) throw new NodenetError("invalid-input", `the lab has no process ${processName}; it has ${(nodes.processes ?? []).map((p) => p.name).join(", ")}`);
  if (processStartTicks(old.pid) === old.startTicks) throw new NodenetError("invalid-input", `${processName} is still running (pid ${old.pid})`);
  const file = old.args[0] === "netns" ? "ip" : old.binary;
  nodes.processes![index] = spawnRecorded(old.name, file, old.args, old.log);
  save(nodes);
  const fresh = await recordNodeProcess(nodes.processes![index]!);
  nodes.processes![index] = fresh;
  save(nodes);
  return fresh;
}

/** Lines for `lab status`. */
export async function describeNodes(name: string, nodes: LabNodes): Promise<{ summary: string; nodes: unknown[] }> {
  if (!nodes.count) return { summary: "no nodes", nodes: [] };
  const network = await labNetworkStatus(name);
  const processes = (nodes.processes ?? []).map((p) => ({ name: p.name, pid: p.pid, log: p.log, alive: processStartTicks(p.pid) === p.startTicks }));
  return {
    summary: `${nodes.count} nodes; ${processes.filter((p) => p.alive).length}/${processes.length} nodenet processes running`,
    nodes: network.recorded ? network.nodes.map((n) => ({ ...n, processes: processes.filter((p) => p.name.endsWith(`-${n.name}`)) })) : [],
  };
}
