/**
 * A lab node's kubelet configuration (KubeletConfiguration v1beta1). What
 * this machine needs and why is docs/adr/0017-lab-kubelet-nodes.md; in short:
 * cgroup v1 allowed, the cgroupfs driver, a cgroup root of its own per
 * kubelet, no eviction or image garbage collection driven by the machine's
 * disk and memory (every node shares them), and a Lease short enough for
 * the lab's 10 s node-monitor grace period.
 */
import { join } from "node:path";
import { stringify } from "yaml";

export interface KubeletPaths {
  dir: string;
  rootDir: string;
  config: string;
  kubeconfig: string;
  podLogsDir: string;
}

export function kubeletPaths(nodeDir: string): KubeletPaths {
  const dir = join(nodeDir, "kubelet");
  return { dir, rootDir: join(dir, "root"), config: join(dir, "config.yaml"), kubeconfig: join(dir, "kubelet.kubeconfig"), podLogsDir: join(dir, "pods-logs") };
}

/** The cgroup (in every v1 hierarchy) under which this node's pods live. */
export function nodeCgroupRoot(lab: string, node: string): string {
  return `/nodenet-lab-${lab}-${node}`;
}

export interface KubeletConfigOptions {
  cgroupRoot: string;
  containerdSocket: string;
  caCert: string;
  podLogsDir: string;
}

export function kubeletConfig(o: KubeletConfigOptions): string {
  return stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // This machine has cgroup v1 (hybrid); kubelets since 1.35 refuse it unless told.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    cgroupRoot: o.cgroupRoot,
    cgroupsPerQOS: true,
    enforceNodeAllocatable: ["pods"],
    containerRuntimeEndpoint: `unix://${o.containerdSocket}`,
    // One machine's disk and memory under every node: thresholds would evict for the whole machine's state.
    evictionHard: { "memory.available": "0%", "nodefs.available": "0%", "imagefs.available": "0%", "nodefs.inodesFree": "0%" },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    failSwapOn: false,
    // The lab's controller-manager marks a node NotReady after 10 s without a Lease renewal (ADR 0004); renewal is every quarter of this.
    nodeLeaseDurationSeconds: 8,
    nodeStatusUpdateFrequency: "4s",
    nodeStatusReportFrequency: "10s",
    syncFrequency: "10s",
    fileCheckFrequency: "10s",
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: o.caCert } },
    authorization: { mode: "Webhook" },
    resolvConf: "/etc/resolv.conf",
    podLogsDir: o.podLogsDir,
    serializeImagePulls: false,
    registerWithTaints: [],
    shutdownGracePeriod: "0s",
    podPidsLimit: -1,
    maxPods: 30,
    localStorageCapacityIsolation: false,
  });
}

export function kubeletArgs(o: { node: string; paths: KubeletPaths; labels: Record<string, string> }): string[] {
  return [
    `--config=${o.paths.config}`,
    `--kubeconfig=${o.paths.kubeconfig}`,
    `--root-dir=${o.paths.rootDir}`,
    `--cert-dir=${join(o.paths.dir, "pki")}`,
    `--hostname-override=${o.node}`,
    ...(Object.keys(o.labels).length ? [`--node-labels=${Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(",")}`] : []),
    "--v=1",
  ];
}
