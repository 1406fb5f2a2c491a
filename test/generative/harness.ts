/**
 * Runs a generated sequence of desired states against the real kernel (one
 * fresh namespace per sequence) and the in-memory backend side by side, and
 * after every step checks:
 *
 *  1. the host holds every declared key, read back with iproute2 (readback.ts);
 *  2. a second apply plans nothing and `ip monitor` sees no kernel event;
 *  3. the same step with a failure injected at a chosen operation (fault.ts)
 *     rolls back to a byte-identical `show`;
 *  4. the memory backend, given the same step, ends with the same `show`.
 *
 * `fuzz` wraps it in fast-check: a failing sequence is shrunk, its seed
 * printed and its steps written as state files a user can `nodenet apply`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { toYaml } from "../../src/cli/io.ts";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { MemoryBackend } from "../../src/host/memory/backend.ts";
import type { HostBackend } from "../../src/host/backend.ts";
import type { NetworkState } from "../../src/state/schema/state.ts";
import { applyState } from "../../src/txn/transaction.ts";
import { TestNetns } from "../helpers/netns.ts";
import { failingOnce } from "./fault.ts";
import { mismatches } from "./readback.ts";
import { sequenceArbitrary, stepState, type Kinds, type Step } from "./world.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Generated {
  steps: Step[];
  /** Per step: where to inject a failure, as a fraction of its plan's length (undefined: no injection). */
  faults: (number | undefined)[];
}

export const generatedArbitrary = (kinds: Kinds, maxSteps: number): fc.Arbitrary<Generated> =>
  sequenceArbitrary(kinds, maxSteps).chain((steps) =>
    fc.array(fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { nil: undefined, freq: 2 }), { minLength: steps.length, maxLength: steps.length }).map((faults) => ({ steps, faults })),
  );

/**
 * The part of `show` both backends must agree on: every interface's name,
 * type, state, MTU, controller, addresses and kind sections, the bridge's
 * ports and STP, and all routes, rules and static DNS. Left out, because the
 * memory model does not simulate them or the kernel's value depends on its
 * build: MAC addresses and the link-local addresses made from them (random
 * per link), min/max MTU, per-interface sysctls other than `accept-ra` (forwarding, autoconf,
 * addr-gen-mode), `ipv6.enabled` (the memory model infers it from addresses where IPv6 is on),
 * bridge timer defaults (rounded by the kernel's HZ) and the resolver's
 * running view of an absent file.
 */
export function comparableShow(state: NetworkState): string {
  const pick = <T extends object>(o: T | undefined, keys: readonly (keyof T)[]) => (o ? Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) : undefined);
  const interfaces = (state.interfaces ?? []).map((iface) => {
    const { bridge, ipv4, ipv6, "link-aggregation": bond } = iface;
    return {
      ...pick(iface, ["name", "type", "state", "mtu", "controller", "veth", "vlan", "vxlan", "mac-vlan", "vrf", "description"]),
      ipv4: { enabled: ipv4?.enabled ?? false, address: ipv4?.address ?? [] },
      ipv6: { address: (ipv6?.address ?? []).filter((a) => !a.ip.toLowerCase().startsWith("fe80:")), ...pick(ipv6, ["accept-ra"]) },
      ...(bridge ? { bridge: { stp: bridge.options?.stp?.enabled, port: bridge.port ?? [] } } : {}),
      ...(bond ? { "link-aggregation": { mode: bond.mode, port: bond.port } } : {}),
    };
  });
  return toYaml({ interfaces, routes: state.routes, "route-rules": state["route-rules"], dns: state["dns-resolver"]?.config });
}

const show = async (backend: HostBackend) => toYaml((await backend.read()).state);

class StepFailure extends Error {}

/** Runs one sequence; throws a StepFailure naming the step and the check that failed. */
export async function runSequence(generated: Generated, options: { log?: (line: string) => void } = {}): Promise<void> {
  const log = options.log ?? (() => undefined);
  const ns = await TestNetns.create("fuzz");
  const dir = mkdtempSync(join(tmpdir(), "nodenet-fuzz-"));
  try {
    const resolvConf = join(dir, "resolv.conf");
    const kernel = new KernelBackend({ netns: ns.name, stateDir: join(dir, "kernel"), resolvConf, recordFile: null });
    const memory = new MemoryBackend((await kernel.read()).state, { stateDir: join(dir, "memory") });
    const apply = (backend: HostBackend, desired: NetworkState) => applyState(backend, desired, { timeoutSeconds: 600 });

    for (const [i, step] of generated.steps.entries()) {
      const at = `step ${i + 1}`;
      const desired = stepState(step);
      const fail = (what: string) => new StepFailure(`${at}: ${what}`);
      const fraction = generated.faults[i];
      if (fraction !== undefined) {
        const before = await show(kernel);
        const planned = await applyState(kernel, desired, { dryRun: true });
        if (planned.operations.length) {
          const failAt = Math.floor(fraction * planned.operations.length);
          const faulty = failingOnce(kernel, failAt);
          const outcome = await apply(faulty.backend, desired).then(
            () => "applied",
            (e: Error) => e.message,
          );
          if (!faulty.fired()) throw fail(`the injected failure at operation ${failAt + 1}/${planned.operations.length} never ran (${outcome})`);
          const after = await show(kernel);
          if (after !== before) throw fail(`failure injected at operation ${failAt + 1}/${planned.operations.length} did not roll back to the same show:\n${lineDiff(before, after)}`);
          log(`${at}: injected failure at ${failAt + 1}/${planned.operations.length}, rolled back`);
        }
      }
      const result = await apply(kernel, desired).catch((e: Error) => {
        throw fail(`apply failed: ${e.message}`);
      });
      const missing = await mismatches(ns.name, desired, resolvConf);
      if (missing.length) throw fail(`the kernel does not hold what was declared:\n  ${missing.join("\n  ")}`);

      await ns.settle();
      // Neighbour entries are the kernel's own traffic (e.g. resolving a vxlan remote), not writes.
      const monitor = spawn("ip", ["-n", ns.name, "monitor", "link", "address", "route", "rule"], { stdio: ["ignore", "pipe", "ignore"] });
      let events = "";
      let lastEvent = Date.now();
      monitor.stdout.on("data", (d: Buffer) => {
        events += d.toString();
        lastEvent = Date.now();
      });
      // The first apply's late consequences (a veth port's carrier coming up after its peer, a bridge
      // port's state) arrive asynchronously: wait for 500 ms of silence (10 s at most) so that only
      // events during the second apply are held against it.
      const quietFrom = Date.now();
      await sleep(150);
      while (Date.now() - lastEvent < 500 && Date.now() - quietFrom < 10_000) await sleep(50);
      events = "";
      const again = await apply(kernel, desired).catch((e: Error) => e);
      await sleep(250);
      monitor.kill();
      if (again instanceof Error) throw fail(`the second apply failed: ${again.message}`);
      if (again.operations.length) throw fail(`the second apply planned ${again.operations.length} operations:\n  ${again.operations.map((o) => JSON.stringify(o)).join("\n  ")}`);
      if (events.trim()) throw fail(`ip monitor saw kernel events during the second apply:\n${events}`);

      const memResult = await apply(memory, desired).catch((e: Error) => e);
      if (memResult instanceof Error) throw fail(`the memory backend refused what the kernel applied: ${memResult.message}`);
      const kernelShow = comparableShow((await kernel.read()).state);
      const memoryShow = comparableShow((await memory.read()).state);
      if (kernelShow !== memoryShow) throw fail(`the memory backend's show differs from the kernel's (- kernel, + memory):\n${lineDiff(kernelShow, memoryShow)}`);
      log(`${at}: ${result.operations.length} operations, verified, idempotent, memory agrees`);
    }
  } finally {
    await ns.delete();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where two texts first part, with a few lines of each from there (enough to see a missing key or a different order). */
function lineDiff(a: string, b: string): string {
  const left = a.split("\n");
  const right = b.split("\n");
  let i = 0;
  while (i < left.length && left[i] === right[i]) i++;
  const from = Math.max(0, i - 3);
  return [`(from line ${from + 1})`, ...left.slice(from, i + 12).map((l) => `- ${l}`), ...right.slice(from, i + 12).map((l) => `+ ${l}`)].join("\n");
}

export interface FuzzOptions {
  seed: number;
  runs: number;
  maxSteps: number;
  kinds: Kinds;
  /** Where a failure's reproduction files go. */
  reproDir: string;
  /** Stop shrinking after this long (the failure found so far is reported). */
  timeLimitMs?: number;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  seed: number;
  message: string;
  files: string[];
}

export interface FuzzOutcome {
  /** Sequences run to the end (fewer than asked when the time limit cut the run short). */
  runs: number;
  interrupted: boolean;
  failure: FuzzFailure | undefined;
}

/** Runs `runs` generated sequences; on failure returns the shrunk one, written as state files. */
export async function fuzz(options: FuzzOptions): Promise<FuzzOutcome> {
  const details = await check(options);
  return { runs: details.numRuns, interrupted: details.interrupted, failure: details.failed ? reproduce(options, details) : undefined };
}

async function check(options: FuzzOptions) {
  // fast-check stops waiting for the sequence in flight when the time limit ends the run; it still owns
  // a namespace, so wait for it to delete it before returning.
  let inFlight: Promise<void> | undefined;
  const details = await fc.check(
    fc.asyncProperty(generatedArbitrary(options.kinds, options.maxSteps), (g) => (inFlight = runSequence(g, options.log ? { log: options.log } : {}))),
    { seed: options.seed, numRuns: options.runs, endOnFailure: false, ...(options.timeLimitMs ? { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false } : {}) },
  );
  await (inFlight as Promise<void> | undefined)?.catch(() => undefined);
  return details;
}

function reproduce(options: FuzzOptions, details: Awaited<ReturnType<typeof check>>): FuzzFailure {
  const error = details.errorInstance;
  const message = error instanceof Error ? error.message : String(error);
  const dir = join(options.reproDir, `seed-${options.seed}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "failure.txt"), `${message}\n`);
  // fast-check reports a failure without a counterexample when the property itself could not run
  // (e.g. the generator threw): there is no sequence to write, only the error.
  const generated = details.counterexample?.[0];
  if (!generated) return { seed: options.seed, message: `${message} (no counterexample: the run failed outside a generated sequence)`, files: [] };
  const files = generated.steps.map((step, i) => {
    const file = join(dir, `step-${i + 1}.yaml`);
    const fault = generated.faults[i] !== undefined ? `# before this step: apply it with a failure injected at ${(generated.faults[i]! * 100).toFixed(0)}% of its plan\n` : "";
    writeFileSync(file, `# nodenet fuzz --seed ${options.seed}: step ${i + 1} of ${generated.steps.length}\n${fault}${toYaml(stepState(step))}`);
    return file;
  });
  return { seed: options.seed, message, files };
}
