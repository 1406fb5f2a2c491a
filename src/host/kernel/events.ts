/**
 * Kernel change notifications for a target: one long-running
 * `ip [-n NS] -o monitor link address route rule`, whose lines are coalesced
 * (debounced) into one callback per burst of changes. The process is
 * restarted if it dies; `stop()` ends it.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface KernelWatch {
  stop(): void;
}

export function watchKernel(netns: string | undefined, onChange: (lines: string[]) => void, options: { debounceMs?: number } = {}): KernelWatch {
  const debounceMs = options.debounceMs ?? 500;
  let child: ChildProcess | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pending: string[] = [];
  let buffer = "";

  const flush = () => {
    timer = undefined;
    const lines = pending;
    pending = [];
    if (lines.length) onChange(lines);
  };

  const start = () => {
    child = spawn("ip", [...(netns ? ["-n", netns] : []), "-o", "monitor", "link", "address", "route", "rule"], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      pending.push(...lines.filter(Boolean));
      if (pending.length && !timer) timer = setTimeout(flush, debounceMs);
    });
    child.on("exit", () => {
      if (!stopped) setTimeout(start, 1000);
    });
  };
  start();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      child?.kill();
    },
  };
}
