/**
 * The kernel reader at scale: how long a read of 1000 bridges (each with a
 * veth port and an address) takes, and that dumps interrupted by a kernel
 * that changes meanwhile are detected and read again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ip, spawnCounter } from "../../src/host/kernel/exec.ts";
import { KernelReadError, readKernelSnapshot } from "../../src/host/kernel/read/index.ts";
import { TestNetns } from "../helpers/netns.ts";

function bridgesWithPorts(count: number, prefix: string): string[] {
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    lines.push(
      `link add ${prefix}br${i} type bridge`,
      `link add ${prefix}p${i} type veth peer name ${prefix}q${i}`,
      `link set ${prefix}p${i} master ${prefix}br${i}`,
      `link set ${prefix}br${i} up`,
      `link set ${prefix}p${i} up`,
      `addr add 2001:db8:${i.toString(16)}::1/64 dev ${prefix}br${i} nodad`,
    );
  }
  return lines;
}

describe("readKernelState at scale", () => {
  it("notices dumps interrupted by a changing kernel and reads again", async (t) => {
    const ns = await TestNetns.create("showchurn", t);
    let interrupted = 0;
    let reads = 0;
    // Creating many links at once changes the kernel's dump sequence under
    // most dumps; rounds repeat until one was seen (for at most 60 s).
    const deadline = Date.now() + 60_000;
    for (let round = 0; interrupted === 0 && Date.now() < deadline; round++) {
      const churn = ip(ns.name, ["-batch", "-"], { input: bridgesWithPorts(300, `r${round}`).join("\n") + "\n" });
      let done = false;
      churn.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        reads++;
        try {
          await readKernelSnapshot(ns.name, { attempts: 1 });
        } catch (error) {
          if (!(error instanceof KernelReadError)) throw error;
          assert.match(error.message, /kernel changed during every one of 1 reads/);
          interrupted++;
        }
      }
      await churn;
    }
    t.diagnostic(`${interrupted} of ${reads} single-attempt reads saw an interrupted dump`);
    assert.ok(interrupted > 0, "an interrupted dump was detected");
    const settled = await readKernelSnapshot(ns.name);
    assert.equal(settled.attempts, 1);
    assert.ok((settled.state.interfaces?.length ?? 0) >= 901);
  });

  it("reads 1000 bridges with a veth port and an address each", async (t) => {
    const ns = await TestNetns.create("showbench", t);
    const started = performance.now();
    await ns.batch(bridgesWithPorts(1000, ""));
    const setupMs = performance.now() - started;
    const times: number[] = [];
    let spawns = 0;
    let snapshot;
    for (let i = 0; i < 3; i++) {
      const before = spawnCounter.count;
      const t0 = performance.now();
      snapshot = await readKernelSnapshot(ns.name);
      times.push(performance.now() - t0);
      spawns = spawnCounter.count - before;
    }
    const interfaces = snapshot!.state.interfaces ?? [];
    assert.equal(interfaces.length, 3001);
    assert.deepEqual(interfaces.find((i) => i.name === "br500")?.bridge?.port?.map((p) => p.name), ["p500"]);
    assert.deepEqual(interfaces.find((i) => i.name === "br500")?.ipv6?.address, [{ ip: "2001:db8:1f4::1", "prefix-length": 64 }]);
    const sorted = [...times].sort((a, b) => a - b);
    t.diagnostic(
      `ip -batch setup ${setupMs.toFixed(0)} ms; read of ${interfaces.length} interfaces: ${times.map((x) => x.toFixed(0)).join(", ")} ms (median ${sorted[1]!.toFixed(0)} ms), ${spawns} processes, ${snapshot!.attempts} attempt(s)`,
    );
    assert.ok(sorted[1]! < 10_000, `a read took ${sorted[1]} ms`);
  });
});
