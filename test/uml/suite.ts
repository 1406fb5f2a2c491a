/**
 * The in-kernel part of the test suite: boots User-Mode Linux once and runs
 * the `uml` suite (test/uml-suite/**) inside it with the project's own test
 * runner, then folds its counts and failures into the outer run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { SuiteResult } from "../helpers/suite-result.ts";


const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const BOOT_TIMEOUT_S = 1200;

export async function runUmlSuite(): Promise<SuiteResult> {
  const started = Date.now();
  const result = (fields: Partial<SuiteResult>): SuiteResult => ({ name: "uml", passed: 0, failed: 0, skipped: 0, cancelled: 0, seconds: (Date.now() - started) / 1000, notes: [], ...fields });
  process.stdout.write("\n▶ uml (full kernel: bonds, VLANs, dummy, VRF, bridge VLAN filtering)\n");
  if (!existsSync("/usr/bin/linux.uml")) {
    return result({ failed: 1, notes: ["User-Mode Linux is not installed: run scripts/install.sh (apt-get install user-mode-linux kmod)"] });
  }
  const cache = process.env.NODENET_CACHE ?? join(homedir(), ".cache", "nodenet");
  mkdirSync(cache, { recursive: true });
  const resultsFile = join(cache, `uml-results-${process.pid}.json`);
  rmSync(resultsFile, { force: true });
  const node = join(REPO, "node_modules/node/bin/node");
  const code = await new Promise<number>((resolve) => {
    const child = spawn(join(REPO, "test/uml/boot.sh"), ["--timeout", String(BOOT_TIMEOUT_S), "--cwd", REPO, "--", node, "test/run.ts", "--inside-uml"], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NODENET_RESULTS_FILE: resultsFile },
    });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (!existsSync(resultsFile)) {
    return result({ failed: 1, notes: [`the UML guest produced no results (boot.sh exit ${code}${code === 124 ? ": timed out" : ""})`] });
  }
  const inner = JSON.parse(readFileSync(resultsFile, "utf8")) as SuiteResult[];
  rmSync(resultsFile, { force: true });
  const sum = (key: "passed" | "failed" | "skipped" | "cancelled") => inner.reduce((n, r) => n + r[key], 0);
  const notes = inner.flatMap((r) => r.notes);
  if (code !== 0 && sum("failed") === 0) notes.push(`boot.sh exited ${code}`);
  return result({ passed: sum("passed"), failed: sum("failed") + (code !== 0 && sum("failed") === 0 ? 1 : 0), skipped: sum("skipped"), cancelled: sum("cancelled"), notes });
}
