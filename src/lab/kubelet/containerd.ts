/**
 * A lab node's containerd: its own root, state, socket and runc root under
 * the node's lab directory, so two nodes (and the machine's own containerd,
 * if any) never see each other's containers. containerd 1.6 puts its shims'
 * sockets in /run/containerd/s whatever its config says; teardown therefore
 * stops shims by the socket address on their command line (./teardown.ts),
 * never by name.
 */
import { join } from "node:path";

export interface ContainerdPaths {
  dir: string;
  config: string;
  socket: string;
  runcRoot: string;
  cniConfDir: string;
}

export function containerdPaths(nodeDir: string): ContainerdPaths {
  const dir = join(nodeDir, "containerd");
  return { dir, config: join(dir, "config.toml"), socket: join(dir, "containerd.sock"), runcRoot: join(dir, "runc"), cniConfDir: join(dir, "cni") };
}

/** The image containerd runs as every pod's sandbox; the lab imports its own build under this name. */
export const SANDBOX_IMAGE = "registry.k8s.io/pause:3.10";
/** Debian's containernetworking-plugins. */
export const CNI_BIN_DIR = "/usr/lib/cni";

export function containerdConfig(paths: ContainerdPaths): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    "version = 2",
    `root = ${q(join(paths.dir, "root"))}`,
    `state = ${q(join(paths.dir, "state"))}`,
    "",
    "[grpc]",
    `  address = ${q(paths.socket)}`,
    "[ttrpc]",
    `  address = ${q(`${paths.socket}.ttrpc`)}`,
    "[debug]",
    '  level = "warn"',
    "",
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(paths.dir, "opt"))}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${q(SANDBOX_IMAGE)}`,
    // This machine lacks CAP_SYS_RESOURCE: runc cannot set the kubelet's oom_score_adj of -998.
    "  restrict_oom_score_adj = true",
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    "        SystemdCgroup = false",
    `        Root = ${q(paths.runcRoot)}`,
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = ${q(CNI_BIN_DIR)}`,
    `    conf_dir = ${q(paths.cniConfDir)}`,
    "",
  ].join("\n");
}

/**
 * The node's pod network: pods that are not hostNetwork get only a loopback.
 * The lab's own pods (handler DaemonSet) run in the node's network namespace;
 * a network config must exist all the same, or the runtime reports
 * NetworkReady=false and the kubelet keeps the Node NotReady.
 */
export function cniConfig(): string {
  return `${JSON.stringify({ cniVersion: "1.0.0", name: "nodenet-lab", plugins: [{ type: "loopback" }] }, null, 2)}\n`;
}
