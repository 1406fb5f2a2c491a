/** The host a command acts on: a named network namespace, or this host. */
import { existsSync } from "node:fs";
import { NodenetError } from "../errors.ts";
import { KernelBackend } from "../host/kernel/backend.ts";

export interface TargetOptions {
  netns?: string;
  /** The persisted record's file (default under /etc/nodenet, per --netns). */
  record?: string;
  /** Apply without touching the persisted record (nmstate's --memory-only). */
  memoryOnly?: boolean;
}

export function kernelTarget(options: TargetOptions): KernelBackend {
  if (options.netns !== undefined) {
    if (!/^[A-Za-z0-9_.-]+$/.test(options.netns)) throw new NodenetError("invalid-input", `--netns: "${options.netns}" is not a namespace name`);
    if (!existsSync(`/run/netns/${options.netns}`)) {
      throw new NodenetError("invalid-input", `--netns: network namespace ${options.netns} does not exist (see 'ip netns list')`);
    }
  }
  return new KernelBackend({ ...(options.netns ? { netns: options.netns } : {}), ...(options.record ? { recordFile: options.record } : {}), ...(options.memoryOnly ? { recordFile: null } : {}) });
}
