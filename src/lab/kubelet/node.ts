/**
 * A lab node that runs real pods: containerd and a kubelet inside the node's
 * network namespace and its own mount namespace (./mountns.ts), the kubelet
 * registered as the Node with a system:nodes client certificate, the
 * nodenet and pause images imported into the node's containerd.
 *
 * Both are entered with `nsenter --net=/run/netns/NS --mount=FILE`, not `ip
 * netns exec`: the latter remounts /sys, which hides /sys/fs/cgroup from the
 * kubelet ("failed to find cgroup mounts").
 *
 * Guarantees: each process is recorded (`record`) the moment it exists;
 * `stopKubeletNode` works from a partial record and leaves no process,
 * shim, cgroup or mount of the node behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { run } from "../../host/kernel/exec.ts";
import { processStartTicks } from "../../process-alive.ts";
import { issueClientCert, type Pki } from "../controlplane/pki.ts";
import { writeKubeconfig } from "../controlplane/kubeconfig.ts";
import { exeOf, isRunning, spawnDetached, stopProcess, tailLog, type ProcessRecord } from "../supervisor.ts";
import { cgroupPids, createCgroupRoot, removeCgroupRoot } from "./cgroups.ts";
import { cniConfig, containerdConfig, containerdPaths, SANDBOX_IMAGE } from "./containerd.ts";
import { kubeletArgs, kubeletConfig, kubeletPaths, nodeCgroupRoot } from "./kubelet-config.ts";
import { createNodeMountNamespace, removeNodeMountNamespace, type NodeMountNamespace } from "./mountns.ts";

/** What a kubelet node started and made; plain JSON in the lab's state file. */
export interface KubeletNodeRecord {
  node: string;
  netns: string;
  dir: string;
  cgroupRoot: string;
  containerdSocket: string;
  mountNamespace?: NodeMountNamespace;
  /** Whether this lab made /run/containerd (or its s/ directory) for the shims' sockets. */
  madeShimDirs?: string[];
}

export interface KubeletNodeOptions {
  lab: string;
  node: string;
  netns: string;
  /** The lab's directory for this node's files. */
  dir: string;
  /** Holder of the lab's mount-namespace files. */
  holder: string;
  persistDir: string;
  pki: Pki;
  /** The API server as the node reaches it (through the simulated network). */
  server: string;
  labels: Record<string, string>;
  /** OCI archives: [archive, image name] to import. */
  images: { archive: string; name: string }[];
  kubeletBinary: string;
  record: (process: ProcessRecord) => Promise<void>;
  saveNode: (node: KubeletNodeRecord) => void;
  progress: (message: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHIM_DIRS = ["/run/containerd", "/run/containerd/s"];

/**
 * BINARY ARGS in the node's namespaces, detached. nsenter execs BINARY in
 * place; the record names BINARY once /proc says the exec happened (before,
 * the PID is nsenter's).
 */
async function spawnInNode(name: string, ns: { netns: string; mount: string }, binary: string, args: string[], log: string): Promise<ProcessRecord> {
  const spawned = spawnDetached(name, "/usr/bin/nsenter", [`--net=/run/netns/${ns.netns}`, `--mount=${ns.mount}`, "--", binary, ...args], log);
  for (let i = 0; i < 200 && exeOf(spawned.pid) !== binary; i++) {
    if (processStartTicks(spawned.pid) === undefined) throw new Error(`${name} exited at start; last lines of ${log}:\n${tailLog(log)}`);
    await sleep(10);
  }
  return { ...spawned, binary, startTicks: processStartTicks(spawned.pid) ?? spawned.startTicks };
}

async function waitFor(what: string, record: ProcessRecord, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    if (!isRunning(record)) throw new Error(`${record.name} exited before ${what}; last lines of ${record.log}:\n${tailLog(record.log)}`);
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last lines of ${record.log}:\n${tailLog(record.log)}`);
}

const ctr = (socket: string, args: string[], timeoutMs = 120_000) => run("ctr", ["--address", socket, "--namespace", "k8s.io", ...args], { timeoutMs });

export async function startKubeletNode(o: KubeletNodeOptions): Promise<KubeletNodeRecord> {
  const cd = containerdPaths(o.dir);
  const kl = kubeletPaths(o.dir);
  const record: KubeletNodeRecord = { node: o.node, netns: o.netns, dir: o.dir, cgroupRoot: nodeCgroupRoot(o.lab, o.node), containerdSocket: cd.socket };
  record.madeShimDirs = SHIM_DIRS.filter((d) => !existsSync(d));
  o.saveNode(record);

  record.mountNamespace = await createNodeMountNamespace({ dir: join(o.dir, "mnt"), holder: o.holder, node: o.node, netns: o.netns, persistDir: o.persistDir });
  o.saveNode(record);
  const ns = { netns: o.netns, mount: record.mountNamespace.file };
  createCgroupRoot(record.cgroupRoot);

  for (const d of [cd.dir, cd.cniConfDir, kl.dir, kl.rootDir, kl.podLogsDir]) mkdirSync(d, { recursive: true });
  writeFileSync(cd.config, containerdConfig(cd));
  writeFileSync(join(cd.cniConfDir, "10-nodenet-lab.conflist"), cniConfig());
  const containerd = await spawnInNode(`containerd-${o.node}`, ns, "/usr/bin/containerd", ["--config", cd.config], join(o.dir, "containerd.log"));
  await o.record(containerd);
  await waitFor("its socket", containerd, 30_000, async () => existsSync(cd.socket) && (await ctr(cd.socket, ["version"], 5_000), true));

  for (const image of o.images) {
    await ctr(cd.socket, ["images", "import", "--base-name", image.name, image.archive]);
  }
  // The pause build is tagged with nodenet's version; containerd asks for the sandbox image by its own name.
  const pause = o.images.find((i) => SANDBOX_IMAGE.startsWith(`${i.name}:`));
  if (pause) {
    const { stdout } = await ctr(cd.socket, ["images", "ls", "-q"]);
    const imported = stdout.split("\n").find((l) => l.startsWith(`${pause.name}:`) && l !== SANDBOX_IMAGE);
    if (imported) await ctr(cd.socket, ["images", "tag", "--force", imported, SANDBOX_IMAGE]);
  }

  const cert = await issueClientCert(o.pki, `kubelet-${o.node}`, `system:node:${o.node}`, ["system:nodes"]);
  writeKubeconfig(kl.kubeconfig, { clusterName: "nodenet-lab", server: o.server, caCert: o.pki.caCert, user: `system:node:${o.node}`, credentials: cert });
  writeFileSync(kl.config, kubeletConfig({ cgroupRoot: record.cgroupRoot, containerdSocket: cd.socket, caCert: o.pki.caCert, podLogsDir: kl.podLogsDir }));
  const kubelet = await spawnInNode(`kubelet-${o.node}`, ns, o.kubeletBinary, kubeletArgs({ node: o.node, paths: kl, labels: o.labels }), join(o.dir, "kubelet.log"));
  await o.record(kubelet);
  return record;
}

/** containerd 1.6's shim socket for a task: /run/containerd/s/sha256(address/namespace/id). */
function shimSocket(address: string, id: string): string {
  return join("/run/containerd/s", createHash("sha256").update(join(address, "k8s.io", id)).digest("hex"));
}

function shimsOf(socket: string): { pid: number; id: string }[] {
  const found: { pid: number; id: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!exeOf(Number(entry))?.endsWith("/containerd-shim-runc-v2")) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      const at = argv.indexOf("-address");
      const id = argv[argv.indexOf("-id") + 1];
      if (at >= 0 && argv[at + 1] === socket && id) found.push({ pid: Number(entry), id });
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * Stops the node: kubelet (so nothing restarts a container), every process in
 * the node's cgroup root (the containers), the node's shims (found by their
 * -address, never by name alone) and their sockets, containerd, then removes
 * the cgroups and the mount namespace. Idempotent.
 */
export async function stopKubeletNode(record: KubeletNodeRecord, processes: ProcessRecord[]): Promise<void> {
  const mine = (prefix: string) => processes.filter((p) => p.name === `${prefix}-${record.node}`);
  for (const p of mine("kubelet")) await stopProcess(p, 5_000);
  await removeCgroupRoot(record.cgroupRoot);
  for (const shim of shimsOf(record.containerdSocket)) {
    try {
      process.kill(shim.pid, "SIGKILL");
    } catch {
      // gone
    }
    for (let i = 0; i < 100 && processStartTicks(shim.pid) !== undefined; i++) await sleep(20);
    rmSync(shimSocket(record.containerdSocket, shim.id), { force: true });
  }
  for (const p of mine("containerd")) await stopProcess(p, 5_000);
  if (cgroupPids(record.cgroupRoot).length) await removeCgroupRoot(record.cgroupRoot);
  if (record.mountNamespace) await removeNodeMountNamespace(record.mountNamespace);
  // Deepest first; only what this lab made, and only once empty (another containerd may use them).
  for (const d of [...(record.madeShimDirs ?? [])].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // not empty or not ours any more
    }
  }
}
