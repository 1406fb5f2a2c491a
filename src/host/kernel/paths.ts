/** Where nodenet keeps per-target runtime state, and where a namespace's resolver file lives. */
import { join } from "node:path";

export const stateRoot = () => process.env.NODENET_STATE_DIR ?? "/run/nodenet";

export function defaultStateDir(netns: string | undefined): string {
  return join(stateRoot(), netns ? `netns-${netns}` : "host");
}

/** `ip netns exec NS` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf for the processes it starts. */
export function resolvConfPath(netns: string | undefined): string {
  return netns ? `/etc/netns/${netns}/resolv.conf` : "/etc/resolv.conf";
}

/** Scripts shipped beside this file (DHCP hook, resolver composition). */
export const scriptPath = (name: string) => new URL(`./scripts/${name}`, import.meta.url).pathname;
