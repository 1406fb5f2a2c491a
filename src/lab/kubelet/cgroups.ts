/**
 * A lab kubelet's cgroup root, in every hierarchy of this machine (cgroup v1
 * hybrid: one mount per controller, plus name=systemd and the cgroup2
 * "unified" mount). Each kubelet gets its own root so that two kubelets on
 * one machine never manage each other's pods (both would otherwise claim
 * /kubepods); teardown kills what is left in it and removes it, deepest
 * first.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Mount points of every cgroup hierarchy (v1 and v2). */
export function cgroupMounts(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(" ")[4]!)
    .filter(Boolean);
}

/**
 * Creates ROOT in every hierarchy. cpuset's new cgroups start with no CPUs
 * and no memory nodes, and a child copies its parent's: ROOT takes the
 * machine's, or the kubelet's children could hold no process.
 */
export function createCgroupRoot(root: string): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, root);
    mkdirSync(dir, { recursive: true });
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(dir, file)) && !readFileSync(join(dir, file), "utf8").trim()) writeFileSync(join(dir, file), readFileSync(join(mount, file), "utf8"));
    }
  }
}

function subtree(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    // Missing, or removed meanwhile (a container's cgroup goes as its last process exits): nothing under it.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const children = entries.filter((e) => e.isDirectory()).flatMap((e) => subtree(join(dir, e.name)));
  return [...children, dir];
}

/** PIDs in ROOT's subtree, in any hierarchy. */
export function cgroupPids(root: string): number[] {
  const pids = new Set<number>();
  for (const mount of cgroupMounts()) {
    for (const dir of subtree(join(mount, root))) {
      try {
        for (const pid of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) pids.add(Number(pid));
      } catch {
        // removed meanwhile
      }
    }
  }
  return [...pids];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs every process under ROOT, then removes ROOT in every hierarchy. Returns the PIDs it killed. */
export async function removeCgroupRoot(root: string): Promise<number[]> {
  const killed = new Set<number>();
  for (let round = 0; round < 100; round++) {
    const pids = cgroupPids(root);
    if (!pids.length) break;
    for (const pid of pids) {
      killed.add(pid);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await sleep(50);
  }
  for (const mount of cgroupMounts()) {
    for (const dir of subtree(join(mount, root))) {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") break;
          await sleep(50); // a killed process leaves its cgroup a moment later
        }
      }
    }
  }
  return [...killed];
}
