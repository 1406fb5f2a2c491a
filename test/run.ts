/**
 * The whole test suite: typecheck, unit tests, real-kernel tests in network
 * namespaces, tests inside the User-Mode Linux kernel, and cluster tests
 * against a real kube-apiserver. Prints each suite's tests as they run and,
 * as its closing line, the passed/failed counts. Exits non-zero on any
 * failure, on any skipped test (a skip is never a pass), and when a suite
 * leaves namespaces or processes behind.
 *
 *   node test/run.ts                 # everything
 *   node test/run.ts unit kernel     # selected suites
 *   node test/run.ts --files a.test.ts b.test.ts
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { glob } from "node:fs/promises";
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { promisify } from "node:util";
import { sweepLeftovers } from "./helpers/leaks.ts";
import type { Counts, SuiteResult } from "./helpers/suite-result.ts";
import { SUITES, type Suite } from "./suites.ts";

const execFileAsync = promisify(execFile);


const zero = (): Counts => ({ passed: 0, failed: 0, skipped: 0, cancelled: 0 });

async function typecheck(): Promise<SuiteResult> {
  const started = Date.now();
  process.stdout.write("\n▶ typecheck (tsc --noEmit)\n");
  try {
    await execFileAsync("node_modules/.bin/tsc", ["--noEmit", "-p", "."], { maxBuffer: 64 << 20 });
    process.stdout.write("  ✔ no type errors\n");
    return { name: "typecheck", ...zero(), passed: 1, seconds: (Date.now() - started) / 1000, notes: [] };
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    process.stdout.write(output);
    return { name: "typecheck", ...zero(), failed: 1, seconds: (Date.now() - started) / 1000, notes: [] };
  }
}

async function filesOf(suite: Suite): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of suite.patterns) for await (const file of glob(pattern)) files.push(file);
  return files.sort();
}

export async function runFiles(name: string, files: string[], concurrency: number, timeoutMs: number, isolation: "none" | "process" = "process"): Promise<SuiteResult> {
  const started = Date.now();
  process.stdout.write(`\n▶ ${name} (${files.length} files)\n`);
  const counts = zero();
  if (files.length === 0) {
    return { name, ...counts, failed: 1, seconds: 0, notes: [`suite ${name} has no test files`] };
  }
  const stream = run({ files, concurrency, timeout: timeoutMs, isolation });
  stream.on("test:summary", (summary) => {
    if (summary.file !== undefined) return;
    counts.passed += summary.counts.passed;
    const c = summary.counts;
    counts.failed += c.tests - c.passed - c.skipped - c.todo - c.cancelled;
    counts.skipped += summary.counts.skipped + summary.counts.todo;
    counts.cancelled += summary.counts.cancelled;
  });
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(spec);
    out.on("data", (chunk: string | Buffer) => process.stdout.write(chunk));
    out.on("end", resolve);
    out.on("error", reject);
  });
  return { name, ...counts, seconds: (Date.now() - started) / 1000, notes: [] };
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`usage: node test/run.ts [SUITE…] | --files FILE…\nsuites (default: all but the ones marked *): ${SUITES.map((s) => (s.default ? s.name : `${s.name}*`)).join(", ")}`);
    return;
  }
  const runId = process.env.NODENET_TEST_RUN ?? `${process.pid.toString(36)}${randomBytes(2).toString("hex")}`;
  process.env.NODENET_TEST_RUN = runId;
  // Tests never write the host's persisted records (/etc/nodenet): every CLI, lab and handler the
  // tests start inherits this directory, and tests that look at a record pass their own --record.
  const persistDir = process.env.NODENET_PERSIST_DIR ?? mkdtempSync(join(tmpdir(), `nodenet-persist-${runId}-`));
  const ownPersistDir = !process.env.NODENET_PERSIST_DIR;
  process.env.NODENET_PERSIST_DIR = persistDir;
  // Artefacts tests leave for people to look at (the dashboard's screenshots): kept after the run, never in the repository.
  const outputDir = (process.env.NODENET_TEST_OUTPUT ??= join(tmpdir(), `nodenet-test-output-${runId}`));
  const started = Date.now();
  const results: SuiteResult[] = [];

  const filesFlag = args.indexOf("--files");
  if (filesFlag >= 0) {
    results.push(await runFiles("selected", args.slice(filesFlag + 1), 4, 30 * 60_000));
  } else {
    const wanted = args.includes("--inside-uml") ? ["uml-guest"] : args.filter((a) => !a.startsWith("--"));
    const selected = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES.filter((s) => s.default);
    const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
    if (unknown.length) {
      console.error(`unknown suite(s): ${unknown.join(", ")}; known: ${SUITES.map((s) => s.name).join(", ")}`);
      process.exit(2);
    }
    if ((!wanted.length && !args.includes("--inside-uml")) || wanted.includes("typecheck")) results.push(await typecheck());
    for (const suite of selected) {
      if (suite.name === "typecheck") continue;
      const result = suite.runner
        ? await suite.runner()
        : await runFiles(suite.name, await filesOf(suite), suite.concurrency, suite.timeoutMs, suite.isolation);
      results.push(result);
    }
  }

  const leaks = await sweepLeftovers(runId);
  if (ownPersistDir) rmSync(persistDir, { recursive: true, force: true });
  if (leaks.length) {
    results.push({ name: "leftovers", ...zero(), failed: leaks.length, seconds: 0, notes: leaks });
  }

  const total = results.reduce((acc, r) => ({
    passed: acc.passed + r.passed,
    failed: acc.failed + r.failed,
    skipped: acc.skipped + r.skipped,
    cancelled: acc.cancelled + r.cancelled,
  }), zero());
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write("\n");
  for (const r of results) {
    const extra = [r.skipped ? `${r.skipped} skipped` : "", r.cancelled ? `${r.cancelled} cancelled` : ""].filter(Boolean);
    process.stdout.write(
      `  ${r.failed || r.skipped || r.cancelled ? "✖" : "✔"} ${r.name.padEnd(10)} ${r.passed} passed, ${r.failed} failed${extra.length ? `, ${extra.join(", ")}` : ""} (${r.seconds.toFixed(1)}s)\n`,
    );
    for (const note of r.notes) process.stdout.write(`      ${note}\n`);
  }
  if (existsSync(outputDir)) process.stdout.write(`  artefacts (screenshots): ${outputDir}\n`);
  if (process.env.NODENET_RESULTS_FILE) writeFileSync(process.env.NODENET_RESULTS_FILE, JSON.stringify(results));
  const ok = total.failed === 0 && total.skipped === 0 && total.cancelled === 0;
  process.stdout.write(
    `\nnodenet tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped, ${total.cancelled} cancelled in ${seconds}s — ${ok ? "OK" : "FAILED"}\n`,
  );
  process.exit(ok ? 0 : 1);
}

if (import.meta.main) await main();
