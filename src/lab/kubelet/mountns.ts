/**
 * A lab node's mount namespace: what makes one machine's file system look
 * like a separate node's to its containerd, kubelet and pods
 * (docs/adr/0017-lab-kubelet-nodes.md).
 *
 * deploy/handler.yaml mounts the host's /etc, /opt and /run/nodenet. Every
 * lab node runs on this one machine, so without a namespace of its own each
 * handler pod would write this machine's /etc/resolv.conf, install a boot
 * unit into its /etc/systemd and share one checkpoint directory. In the
 * node's mount namespace:
 *
 *   /etc     an overlay over the machine's /etc (writes go to the node's own upper directory), with
 *            /etc/resolv.conf  the node's resolver file (/etc/netns/NS/resolv.conf, what `ip netns exec` shows)
 *            /etc/nodenet      the node's persistent directory (outlives a lab reboot)
 *   /opt     an overlay likewise (the host-install init container writes /opt/nodenet)
 *   /lib     an overlay holding an empty /lib/modules, only where the machine has none
 *   /run/nodenet/handler-NODE  (the handler's default state directory, src/cluster/handler/handler.ts)
 *            the node namespace's nodenet state directory, where the lab's first configuration of
 *            eth0 left its DHCP client: the handler pod finds it and owns it
 *
 * The namespace is kept by a bind mount of its nsfs file (`unshare
 * --mount=FILE`), like `ip netns add` keeps a network namespace, and entered
 * with `nsenter --mount=FILE`. Propagation is slave: namespaces added on the
 * host later (`/run/netns`) still appear inside; nothing mounted inside
 * reaches the host. Removing the file's mount and stopping every process in
 * it frees the namespace and every mount in it (container root file
 * systems, the kubelet's secret volumes).
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../host/kernel/exec.ts";
import { defaultStateDir, resolvConfPath } from "../../host/kernel/paths.ts";

/** What the handler DaemonSet's hostPath volume names (deploy/handler.yaml). */
export const HANDLER_STATE_ROOT = "/run/nodenet";
/** The handler's state directory when not told one (src/cluster/handler/handler.ts). */
const handlerStateDir = (node: string) => join(HANDLER_STATE_ROOT, `handler-${node}`);

export interface NodeMountNamespace {
  /** The nsfs bind mount that keeps the namespace. */
  file: string;
  /** The node's own directory: overlay upper and work directories. */
  dir: string;
  /** Directories this lab created on the host as mount points (removed at teardown when empty). */
  created: string[];
}

const mounted = (path: string) => readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((line) => line.split(" ")[4] === path);

/** `nsenter --mount=FILE CMD…`: a command run inside the node's mount namespace. */
export function inMountNamespace(ns: Pick<NodeMountNamespace, "file">, argv: readonly string[]): Promise<unknown> {
  return run("nsenter", [`--mount=${ns.file}`, "--", ...argv]);
}

/**
 * Makes `holder` a private mount point so that nsfs files can be bound in it
 * (the kernel refuses that under a shared mount, which could make the
 * namespace hold itself alive).
 */
async function privateHolder(holder: string): Promise<void> {
  // The nodes of a lab start in parallel: without this, each would see the holder unmounted and bind it
  // again, stacking mounts that releaseHolder's one umount would leave behind (a busy lab directory).
  const pending = holdersInProgress.get(holder) ?? makePrivateHolder(holder).finally(() => holdersInProgress.delete(holder));
  holdersInProgress.set(holder, pending);
  await pending;
}

const holdersInProgress = new Map<string, Promise<void>>();

async function makePrivateHolder(holder: string): Promise<void> {
  mkdirSync(holder, { recursive: true });
  if (!mounted(holder)) await run("mount", ["--bind", holder, holder]);
  await run("mount", ["--make-private", holder]);
}

export interface NodeMountOptions {
  /** Directory of the node's lab files. */
  dir: string;
  /** Where the lab keeps mount-namespace files (a private mount point is made of it). */
  holder: string;
  node: string;
  netns: string;
  /** The node's persistent directory (its /etc/nodenet). */
  persistDir: string;
}

export async function createNodeMountNamespace(options: NodeMountOptions): Promise<NodeMountNamespace> {
  const { dir, holder, node, netns, persistDir } = options;
  await privateHolder(holder);
  const ns: NodeMountNamespace = { file: join(holder, node), dir, created: [] };
  if (!existsSync(ns.file)) writeFileSync(ns.file, "");
  if (!mounted(ns.file)) await run("unshare", [`--mount=${ns.file}`, "--propagation", "slave", "true"]);

  // A mount point must exist on the host; it is in nodenet's own runtime directory, and stays empty there.
  const handlerDir = handlerStateDir(node);
  if (!existsSync(handlerDir)) {
    mkdirSync(handlerDir, { recursive: true });
    ns.created.push(handlerDir);
  }
  const stateDir = defaultStateDir(netns);
  const resolvDir = join(dir, "netns-etc");
  const resolv = resolvConfPath(netns);
  for (const d of [stateDir, persistDir, resolvDir, join(dir, "etc", "upper"), join(dir, "etc", "work"), join(dir, "opt", "upper"), join(dir, "opt", "work")]) mkdirSync(d, { recursive: true });
  mkdirSync(join(resolv, ".."), { recursive: true });
  if (!existsSync(resolv)) writeFileSync(resolv, "");

  const inside = (...argv: string[]) => inMountNamespace(ns, argv);
  // The machine's resolver directory for this namespace, reachable after /etc is overlaid.
  await inside("mount", "--bind", join(resolv, ".."), resolvDir);
  await inside("mount", "-t", "overlay", "overlay", "-o", `lowerdir=/etc,upperdir=${join(dir, "etc", "upper")},workdir=${join(dir, "etc", "work")}`, "/etc");
  await inside("mount", "--bind", join(resolvDir, "resolv.conf"), "/etc/resolv.conf");
  await inside("mkdir", "-p", "/etc/nodenet");
  await inside("mount", "--bind", persistDir, "/etc/nodenet");
  await inside("mount", "-t", "overlay", "overlay", "-o", `lowerdir=/opt,upperdir=${join(dir, "opt", "upper")},workdir=${join(dir, "opt", "work")}`, "/opt");
  await inside("mount", "--bind", stateDir, handlerDir);
  // The handler mounts /lib/modules (modprobe); a container-like machine may have none.
  if (!existsSync("/lib/modules")) {
    const lib = realpathSync("/lib");
    for (const d of [join(dir, "lib", "upper"), join(dir, "lib", "work")]) mkdirSync(d, { recursive: true });
    await inside("mount", "-t", "overlay", "overlay", "-o", `lowerdir=${lib},upperdir=${join(dir, "lib", "upper")},workdir=${join(dir, "lib", "work")}`, lib);
    await inside("mkdir", "-p", "/lib/modules");
  }
  return ns;
}

/**
 * Releases the namespace (after every process in it was stopped) and removes
 * the mount points this lab made. Idempotent.
 */
export async function removeNodeMountNamespace(ns: Pick<NodeMountNamespace, "file" | "created">): Promise<void> {
  if (mounted(ns.file)) await run("umount", [ns.file]).catch(() => run("umount", ["-l", ns.file]));
  for (const d of ns.created) await run("rmdir", [d]).catch(() => undefined);
}

/** Releases the holder's bind mount and any namespace file still bound in it (a node whose teardown failed). */
export async function releaseHolder(holder: string): Promise<void> {
  const inside = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((line) => line.split(" ")[4] ?? "").filter((m) => m.startsWith(`${holder}/`));
  for (const file of inside.reverse()) await run("umount", ["-l", file]).catch(() => undefined);
  // Every bind of it, should an older lab up have stacked more than one.
  for (let i = 0; i < 10 && mounted(holder); i++) await run("umount", [holder]).catch(() => run("umount", ["-l", holder]));
}
