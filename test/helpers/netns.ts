/**
 * Throwaway network namespaces for tests, named with the test run's id so the
 * runner can find and report any that a test forgot. Each is deleted when the
 * test (or suite) that made it ends, also when it fails.
 */
import type { TestContext } from "node:test";
import { rmSync } from "node:fs";
import { ip, inNetns, run } from "../../src/host/kernel/exec.ts";
import { defaultStateDir, stateRoot } from "../../src/host/kernel/paths.ts";
import { netnsIdentity, transactionDirOf } from "../../src/host/kernel/netns-identity.ts";
import { defaultRecordFile } from "../../src/host/kernel/record-path.ts";

/** The processes running inside a namespace (`ip netns pids`). */
export async function pidsIn(netns: string): Promise<number[]> {
  const { stdout } = await run("ip", ["netns", "pids", netns]).catch(() => ({ stdout: "" }));
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** SIGKILLs the processes `ip netns pids` lists for a namespace and waits until they are gone. */
export async function killProcessesIn(netns: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = await pidsIn(netns);
    if (!pids.length) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

let counter = 0;
const runId = () => process.env.NODENET_TEST_RUN ?? `adhoc${process.pid}`;

export class TestNetns {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** Creates a namespace with `lo` up, deleted after the test `t` (or call `delete()`). */
  static async create(label: string, t?: Pick<TestContext, "after">): Promise<TestNetns> {
    const safe = label.replace(/[^a-z0-9]/gi, "").slice(0, 12) || "ns";
    const name = `nt-${safe}-${runId()}-${process.pid}x${++counter}`;
    await run("ip", ["netns", "add", name]);
    const ns = new TestNetns(name);
    t?.after(() => ns.delete());
    await ns.ip(["link", "set", "lo", "up"]);
    return ns;
  }

  ip(args: string[]) {
    return ip(this.name, args);
  }

  /** Runs `ip -json ARGS` in the namespace and parses the result. */
  async ipJson<T = unknown>(args: string[]): Promise<T> {
    const { stdout } = await ip(this.name, ["-json", ...args]);
    return (stdout.trim() ? JSON.parse(stdout) : []) as T;
  }

  /** Waits until no IPv6 address is still in duplicate address detection (its events would look like changes). */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const links = await this.ipJson<{ addr_info?: { tentative?: boolean }[] }[]>(["addr", "show"]);
      if (!links.some((l) => l.addr_info?.some((a) => a.tentative))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  exec(file: string, args: string[]) {
    return inNetns(this.name, file, args);
  }

  /** Runs an `ip -batch` script in the namespace (one process for many commands). */
  batch(lines: string[]) {
    return ip(this.name, ["-batch", "-"], { input: lines.join("\n") + "\n" });
  }

  /**
   * Stops every process still inside the namespace (DHCP clients, dnsmasq —
   * only processes in this test's own namespace), then deletes the namespace,
   * its resolver directory and nodenet's state for it.
   */
  async delete(): Promise<void> {
    const identity = netnsIdentity(this.name);
    await killProcessesIn(this.name);
    await run("ip", ["netns", "delete", this.name]).catch(() => undefined);
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
    rmSync(defaultStateDir(this.name), { recursive: true, force: true });
    if (identity) rmSync(transactionDirOf(stateRoot(), identity), { recursive: true, force: true });
    rmSync(defaultRecordFile(this.name), { force: true });
  }
}

/** Moves one end of a new veth pair into each namespace: `a` named aName in nsA, `b` named bName in nsB. */
export async function cable(nsA: TestNetns, aName: string, nsB: TestNetns, bName: string): Promise<void> {
  const tmp = `c${process.pid % 10000}${++counter}`;
  await run("ip", ["-n", nsA.name, "link", "add", aName, "type", "veth", "peer", "name", tmp]);
  await run("ip", ["-n", nsA.name, "link", "set", tmp, "netns", nsB.name]);
  await run("ip", ["-n", nsB.name, "link", "set", tmp, "name", bName]);
}
