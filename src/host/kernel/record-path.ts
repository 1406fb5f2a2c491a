/**
 * Where a target's persisted record lives (ADR 0011): on the host's disk, so it
 * survives a reboot, unlike the runtime state under /run/nodenet. One record
 * per target: this host, or each named namespace.
 * NODENET_PERSIST_DIR moves the whole tree (tests, the lab's nodes).
 */
import { join } from "node:path";

export const DEFAULT_PERSIST_DIR = "/etc/nodenet";

export function defaultRecordFile(netns: string | undefined): string {
  const root = process.env.NODENET_PERSIST_DIR || DEFAULT_PERSIST_DIR;
  return netns ? join(root, "netns", `${netns}.yml`) : join(root, "state.yml");
}
