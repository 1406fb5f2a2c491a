/**
 * Per-interface IP sysctls (`/proc/sys/net/ipv{4,6}/conf/IFACE/*`). iproute2
 * does not print the netlink copies of these (IFLA_INET_CONF,
 * IFLA_INET6_CONF), and /proc/sys/net shows the namespace of the process that
 * reads it, so one process inside the target namespace reads them all:
 * `ip netns exec NS xargs -0 -r grep -s -H "" < paths` (xargs keeps the
 * argument list under ARG_MAX however many interfaces there are).
 */
import { CommandError, inNetns } from "../exec.ts";

/** The files read for every interface, as `family/key`. */
export const SYSCTL_KEYS = [
  "ipv4/forwarding",
  "ipv6/disable_ipv6",
  "ipv6/autoconf",
  "ipv6/accept_ra",
  "ipv6/forwarding",
  "ipv6/addr_gen_mode",
] as const;
export type SysctlKey = (typeof SYSCTL_KEYS)[number];

/** Interface name → `family/key` → value text. Interfaces (or keys) missing here could not be read. */
export type InterfaceSysctls = Map<string, Map<string, string>>;

export function sysctlPaths(names: readonly string[]): string[] {
  const paths: string[] = [];
  for (const name of names) {
    for (const key of SYSCTL_KEYS) {
      const [family, file] = key.split("/") as [string, string];
      paths.push(`/proc/sys/net/${family}/conf/${name}/${file}`);
    }
  }
  return paths;
}

const LINE = /^\/proc\/sys\/net\/(ipv[46])\/conf\/([^/]+)\/([a-z0-9_]+):(.*)$/;

/** Parses `grep -H ""` output: `/proc/sys/net/ipv6/conf/eth0/autoconf:1` per line. */
export function parseSysctlLines(text: string): InterfaceSysctls {
  const out: InterfaceSysctls = new Map();
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, family, iface, key, value] = m as unknown as [string, string, string, string, string];
    let entry = out.get(iface);
    if (!entry) out.set(iface, (entry = new Map()));
    entry.set(`${family}/${key}`, value.trim());
  }
  return out;
}

/**
 * Reads SYSCTL_KEYS for the named interfaces. Files that vanished meanwhile
 * (an interface deleted after the link dump) or that do not exist (IPv6
 * disabled at boot) are simply missing from the result.
 */
export async function readInterfaceSysctls(netns: string | undefined, names: readonly string[]): Promise<InterfaceSysctls> {
  if (names.length === 0) return new Map();
  const input = sysctlPaths(names).join("\0");
  let stdout: string;
  try {
    ({ stdout } = await inNetns(netns, "xargs", ["-0", "-r", "grep", "-s", "-H", ""], { input }));
  } catch (error) {
    // grep exits 2 when a file is missing, which xargs reports as 123; what it read is still good.
    if (error instanceof CommandError && (error.exitCode === 123 || error.exitCode === 1)) stdout = error.stdout;
    else throw error;
  }
  return parseSysctlLines(stdout);
}
