/**
 * `npm run fuzz -- --seed S --steps N [--runs R] [--uml]`: the generative test
 * for longer than CI's budget. Needs root (namespaces). Exits 1 on a failure,
 * after printing the seed, the shrunk failure and the state files it wrote.
 */
import { parseArgs } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzz } from "./harness.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    steps: { type: "string", default: "8" },
    runs: { type: "string", default: "20" },
    out: { type: "string", default: join(tmpdir(), "nodenet-fuzz") },
    "time-limit": { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
const number = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name}: expected a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return n;
};
const steps = number("steps", values.steps);
const runs = number("runs", values.runs);
process.stderr.write(`fuzz: seed ${seed}, ${runs} sequences of up to ${steps} steps\n`);
const started = Date.now();
const { runs: ran, interrupted, failure } = await fuzz({
  seed,
  runs,
  maxSteps: steps,
  kinds: "namespace",
  reproDir: values.out,
  ...(values["time-limit"] ? { timeLimitMs: number("time-limit", values["time-limit"]) * 1000 } : {}),
  ...(values.verbose ? { log: (line: string) => process.stderr.write(`  ${line}\n`) } : {}),
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (!failure) {
  process.stderr.write(`fuzz: seed ${seed}: ${ran} sequences passed in ${seconds}s${interrupted ? " (stopped by --time-limit)" : ""}\n`);
} else {
  process.stderr.write(`fuzz: seed ${seed} FAILED after ${seconds}s (shrunk):\n${failure.message}\nreproduction (apply in order):\n${failure.files.map((f) => `  nodenet apply --netns NS ${f}`).join("\n")}\n`);
  process.exit(1);
}
