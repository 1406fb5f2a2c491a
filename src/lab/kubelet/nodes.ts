/**
 * `lab up --kubelet`: every node runs containerd and a kubelet (./node.ts),
 * and nodenet's handler runs as deploy/handler.yaml's DaemonSet on them — the
 * image built by scripts/image/build.sh, imported into each node's
 * containerd. The controller stays a process on the host (it serves the
 * admission webhook on the API server's 127.0.0.1).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Kube } from "../../cluster/kube/config.ts";
import { parseManifests, serverSideApply } from "../../cluster/kube/apply.ts";
import { labNodePersistDir } from "../node-record.ts";
import { nodeNetns } from "../network/index.ts";
import type { ControlPlane } from "../controlplane/types.ts";
import { tailLog, type ProcessRecord } from "../supervisor.ts";
import type { LabNodes } from "../nodes.ts";
import { startKubeletNode, stopKubeletNode, type KubeletNodeRecord } from "./node.ts";
import { releaseHolder } from "./mountns.ts";

const REPO = new URL("../../../", import.meta.url).pathname;
const IMAGE_SCRIPT = join(REPO, "scripts/image/build.sh");
const CONTROL_PLANE_SCRIPT = join(REPO, "scripts/control-plane/build.sh");
const DEPLOY = join(REPO, "deploy");
export const IMAGE_NAME = "docker.io/library/nodenet";
const PAUSE_NAME = "registry.k8s.io/pause";

/** Runs a build script; resolves its last stdout line (a path), passing its progress on. */
function buildScript(script: string, args: string[], progress: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => c.split("\n").filter((l) => l.trim()).forEach(progress));
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !last) reject(new Error(`${script} ${args.join(" ")} failed (exit ${code}); its progress lines above say where`));
      else resolve(last);
    });
  });
}

export interface KubeletNodesContext {
  lab: string;
  dir: string;
  controlPlane: ControlPlane;
  server: string;
  kube: Kube;
  nodes: LabNodes;
  names: string[];
  record: (p: ProcessRecord) => Promise<void>;
  save: () => void;
  progress: (message: string) => void;
}

const holderOf = (dir: string) => join(dir, "mntns");

/** The handler DaemonSet from deploy/, with the lab's one difference: how a pod reaches the API server. */
export function labHandlerDaemonSet(server: string): KubernetesObject {
  const [daemonSet] = parseManifests(readFileSync(join(DEPLOY, "handler.yaml"), "utf8"));
  const url = new URL(server);
  // No kube-proxy runs in the lab, so the `kubernetes` Service's ClusterIP leads nowhere; pods are
  // told the API server's address in the simulated network instead (a container's own env wins).
  const spec = (daemonSet as unknown as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }).spec;
  for (const container of spec.template.spec.containers) {
    container.env = [...(container.env ?? []), { name: "KUBERNETES_SERVICE_HOST", value: url.hostname }, { name: "KUBERNETES_SERVICE_PORT", value: url.port }];
  }
  return daemonSet!;
}

export async function startKubeletNodes(c: KubeletNodesContext): Promise<void> {
  const say = (m: string) => c.progress(`  ${m}`);
  const kubelet = join(c.controlPlane.binDir, "kubelet");
  if (!existsSync(kubelet)) {
    c.progress("building the kubelet from Go modules (first run only)");
    await buildScript(CONTROL_PLANE_SCRIPT, ["--kubelet"], say);
  }
  c.progress("the nodenet and pause images (scripts/image/build.sh; cached by content)");
  const [archive, pause] = await Promise.all([buildScript(IMAGE_SCRIPT, [], say), buildScript(IMAGE_SCRIPT, ["pause"], say)]);
  c.nodes.kubelets = [];
  c.progress(`starting containerd and a kubelet on ${c.names.length} nodes`);
  await Promise.all(
    c.names.map(async (node) => {
      const index = c.nodes.kubelets!.length;
      const put = (r: KubeletNodeRecord) => {
        c.nodes.kubelets![index] = r;
        c.save();
      };
      c.nodes.kubelets!.push({ node, netns: "", dir: "", cgroupRoot: "", containerdSocket: "" });
      await startKubeletNode({
        lab: c.lab,
        node,
        netns: nodeNetns(c.lab, Number(node.split("-").at(-1))),
        dir: join(c.dir, "kubelet", node),
        holder: holderOf(c.dir),
        persistDir: labNodePersistDir(c.lab, node),
        pki: c.controlPlane.pki,
        server: c.server,
        labels: {},
        images: [{ archive, name: IMAGE_NAME }, { archive: pause, name: PAUSE_NAME }],
        kubeletBinary: kubelet,
        record: c.record,
        saveNode: put,
        progress: say,
      });
      say(`${node}: containerd and kubelet started, images imported`);
    }),
  );
  c.progress("applying the handler DaemonSet (deploy/handler.yaml)");
  await serverSideApply(c.kube, labHandlerDaemonSet(c.server), { fieldManager: "nodenet-lab" });
}

/** Stops every node (all of them, also when one fails), then releases the mount-namespace holder; throws the failures after. */
export async function stopKubeletNodes(dir: string, kubelets: KubeletNodeRecord[], processes: ProcessRecord[]): Promise<void> {
  const results = await Promise.allSettled(kubelets.filter((k) => k.node).map((k) => stopKubeletNode(k, processes)));
  await releaseHolder(holderOf(dir));
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (failed.length) throw new Error(`stopping the kubelet nodes: ${failed.join("; ")}`);
}

/** For an error message: the nodes' handler pods and the last lines of each kubelet's log. */
export async function describeKubeletTrouble(kube: Kube, nodes: LabNodes): Promise<string> {
  const lines: string[] = [];
  const pods = await kube.core.listNamespacedPod({ namespace: "nodenet" }).catch(() => undefined);
  for (const pod of pods?.items ?? []) {
    const waiting = (pod.status?.containerStatuses ?? []).map((s) => s.state?.waiting?.message ?? s.state?.waiting?.reason ?? s.state?.terminated?.reason).filter(Boolean);
    lines.push(`pod ${pod.metadata?.name} on ${pod.spec?.nodeName ?? "(unscheduled)"}: ${pod.status?.phase}${waiting.length ? ` (${waiting.join("; ")})` : ""}`);
  }
  for (const p of (nodes.processes ?? []).filter((r) => r.name.startsWith("kubelet-") || r.name.startsWith("containerd-"))) {
    lines.push(`last lines of ${p.log}:`, tailLog(p.log, 8));
  }
  return lines.join("\n");
}
