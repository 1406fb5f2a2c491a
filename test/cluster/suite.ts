/**
 * The cluster suite: one lab control plane (a unique name per run) shared by
 * every test/cluster/*.test.ts file, which find it through KUBECONFIG and
 * NODENET_CLUSTER_LAB. `lab down` always runs afterwards, also when a test
 * or the lab itself failed. Tests that need to kill the API server or run
 * their own controllers start a separate control plane (helpers.ts ownLab).
 */
import { glob } from "node:fs/promises";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { labDown, labUp } from "../../src/lab/lab.ts";
import type { SuiteResult } from "../helpers/suite-result.ts";


const TIMEOUT_MS = 600_000;

/**
 * Runs the files one at a time (they share the lab) with the spec reporter,
 * counting like test/run.ts's runFiles — which this cannot import: run.ts is
 * still evaluating (top-level await) while suites run.
 */
async function runFiles(files: string[]): Promise<Omit<SuiteResult, "seconds" | "notes">> {
  const counts = { name: "cluster", passed: 0, failed: 0, skipped: 0, cancelled: 0 };
  const stream = run({ files, concurrency: 1, timeout: TIMEOUT_MS, isolation: "process" });
  stream.on("test:summary", (summary) => {
    if (summary.file !== undefined) return;
    const c = summary.counts;
    counts.passed += c.passed;
    counts.failed += c.tests - c.passed - c.skipped - c.todo - c.cancelled;
    counts.skipped += c.skipped + c.todo;
    counts.cancelled += c.cancelled;
  });
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(spec);
    out.on("data", (chunk: string | Buffer) => process.stdout.write(chunk));
    out.on("end", resolve);
    out.on("error", reject);
  });
  return counts;
}

export async function runClusterSuite(): Promise<SuiteResult> {
  const started = Date.now();
  const name = `t-${process.env.NODENET_TEST_RUN ?? process.pid.toString(36)}`.slice(0, 24).replace(/-$/, "");
  const result = (fields: Partial<SuiteResult>): SuiteResult => ({ name: "cluster", passed: 0, failed: 0, skipped: 0, cancelled: 0, seconds: (Date.now() - started) / 1000, notes: [], ...fields });
  process.stdout.write(`\n▶ cluster: starting lab "${name}" (etcd, kube-apiserver, controller-manager, scheduler on 127.0.0.1)\n`);
  const saved = { KUBECONFIG: process.env.KUBECONFIG, NODENET_CLUSTER_LAB: process.env.NODENET_CLUSTER_LAB };
  try {
    const up = await labUp({ name, nodes: 0, progress: (m) => process.stdout.write(`  [lab] ${m}\n`) });
    process.stdout.write(`  lab up in ${up.seconds.toFixed(1)}s\n`);
    process.env.KUBECONFIG = up.state.controlPlane!.kubeconfigs.admin;
    process.env.NODENET_CLUSTER_LAB = name;
    const files: string[] = [];
    for await (const file of glob("test/cluster/**/*.test.ts")) files.push(file);
    if (!files.length) return result({ failed: 1, notes: ["no test/cluster/*.test.ts files"] });
    const inner = await runFiles(files.sort());
    return result(inner);
  } catch (error) {
    return result({ failed: 1, notes: [`the cluster suite could not run: ${error instanceof Error ? error.message : String(error)}`] });
  } finally {
    process.env.KUBECONFIG = saved.KUBECONFIG;
    process.env.NODENET_CLUSTER_LAB = saved.NODENET_CLUSTER_LAB;
    if (saved.KUBECONFIG === undefined) delete process.env.KUBECONFIG;
    if (saved.NODENET_CLUSTER_LAB === undefined) delete process.env.NODENET_CLUSTER_LAB;
    const t = Date.now();
    await labDown(name).catch((error: unknown) => process.stdout.write(`  lab down failed: ${String(error)}\n`));
    process.stdout.write(`  lab "${name}" down in ${((Date.now() - t) / 1000).toFixed(1)}s; cluster suite took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }
}
