/**
 * bench/apply-scale: N linux bridges, each with a veth port and an address,
 * applied by `nodenet apply` and by a hand-written `ip -batch` doing the same
 * change, each in a fresh namespace, measured in the same run. Also the time of
 * a no-op re-apply and of `nodenet show` on the result.
 *
 *   node bench/apply-scale.ts [--reps R] [N…]     (default: 3 repetitions of 100 and 1000)
 *
 * Each figure is the median of R runs, each in fresh namespaces (these
 * machines are shared and noisy; the ratio is what to read).
 *
 * Addresses are IPv6 from 2001:db8::/32: the IPv4 documentation ranges hold
 * only three /24s, not a thousand subnets.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const NODENET = new URL("../bin/nodenet", import.meta.url).pathname;
const RUN = randomBytes(3).toString("hex");

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function desiredState(n: number): string {
  const lines = ["interfaces:"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `- {name: v${i}, type: veth, state: up, veth: {peer: v${i}p}}`,
      `- {name: v${i}p, type: veth, state: up, veth: {peer: v${i}}}`,
      `- {name: br${i}, type: linux-bridge, state: up, bridge: {port: [{name: v${i}}]}, ipv6: {enabled: true, address: [{ip: "2001:db8:${i.toString(16)}::1", prefix-length: 64}]}}`,
    );
  }
  return lines.join("\n") + "\n";
}

function ipBatch(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      `link add br${i} type bridge`,
      `link add v${i} type veth peer name v${i}p`,
      `link set v${i} master br${i}`,
      `address add 2001:db8:${i.toString(16)}::1/64 dev br${i}`,
      `link set v${i} up`,
      `link set v${i}p up`,
      `link set br${i} up`,
    );
  }
  return lines.join("\n") + "\n";
}

async function withNamespace<T>(label: string, fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `bench-${label}-${RUN}`;
  await exec("ip", ["netns", "add", ns]);
  try {
    return await fn(ns);
  } finally {
    await exec("ip", ["netns", "delete", ns]).catch(() => undefined);
    rmSync(`/run/nodenet/netns-${ns}`, { recursive: true, force: true });
    // The kernel tears a namespace's links down in the background; let it
    // finish before the next measurement, which it would otherwise slow.
    await new Promise((r) => setTimeout(r, settleMs));
  }
}

let settleMs = 2000;

interface Row {
  n: number;
  ipBatchMs: number;
  applyMs: number;
  noopMs: number;
  showMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measureMedian(n: number, dir: string, reps: number): Promise<Row> {
  const runs: Row[] = [];
  for (let i = 0; i < reps; i++) runs.push(await measure(n, dir));
  return {
    n,
    ipBatchMs: median(runs.map((r) => r.ipBatchMs)),
    applyMs: median(runs.map((r) => r.applyMs)),
    noopMs: median(runs.map((r) => r.noopMs)),
    showMs: median(runs.map((r) => r.showMs)),
  };
}

async function measure(n: number, dir: string): Promise<Row> {
  settleMs = 1000 + n * 4;
  const batchFile = join(dir, `batch-${n}`);
  const stateFile = join(dir, `state-${n}.yml`);
  writeFileSync(batchFile, ipBatch(n));
  writeFileSync(stateFile, desiredState(n));
  const ipBatchMs = await withNamespace(`ip${n}`, (ns) => timed(() => exec("ip", ["-n", ns, "-batch", batchFile])));
  return withNamespace(`nn${n}`, async (ns) => {
    const applyMs = await timed(() => exec(NODENET, ["apply", "--quiet", "--no-probes", "--netns", ns, stateFile], { maxBuffer: 1 << 28 }));
    const noopMs = await timed(async () => {
      const { stderr } = await exec(NODENET, ["apply", "--no-probes", "--netns", ns, stateFile], { maxBuffer: 1 << 28 });
      if (!stderr.includes("no changes")) throw new Error(`re-apply was not a no-op:\n${stderr.slice(0, 2000)}`);
    });
    const showMs = await timed(() => exec(NODENET, ["show", "--netns", ns], { maxBuffer: 1 << 28 }));
    return { n, ipBatchMs, applyMs, noopMs, showMs };
  });
}

const args = process.argv.slice(2);
const repsFlag = args.indexOf("--reps");
const reps = repsFlag >= 0 ? Math.max(1, Number(args[repsFlag + 1])) : 3;
const sizes = args.filter((a, i) => i !== repsFlag && i !== repsFlag + 1).map(Number).filter((n) => n > 0);
const dir = mkdtempSync(join(tmpdir(), "nodenet-bench-"));
try {
  const rows: Row[] = [];
  for (const n of sizes.length ? sizes : [100, 1000]) rows.push(await measureMedian(n, dir, reps));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log("| bridges (+veth, +address) | ip -batch | nodenet apply | ratio | no-op re-apply | nodenet show |");
  console.log("|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.n} | ${s(r.ipBatchMs)} | ${s(r.applyMs)} | ${(r.applyMs / r.ipBatchMs).toFixed(2)}× | ${s(r.noopMs)} | ${s(r.showMs)} |`);
  }
  console.log(`\nMedians of ${reps} runs. nodenet times are whole CLI runs: process start (~0.3 s), parsing, validation, plan, checkpoint, batch, read-back verification.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
