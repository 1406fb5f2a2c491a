/**
 * The generative test of the engine (test/generative/) on CI's fixed budget:
 * a few seeded sequences of random desired states over veth pairs, bridges
 * with VLAN filtering and moving ports, vxlan, macvlan, addresses, routes in
 * several tables, rules and DNS, each step checked against iproute2,
 * re-applied under `ip monitor`, rolled back from an injected failure and
 * replayed on the memory backend. `npm run fuzz -- --seed S --steps N` runs
 * the same for longer. A failure names its seed and the shrunk sequence's
 * state files.
 */
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fuzz } from "../generative/harness.ts";

/** Fixed, so CI is reproducible; change it to explore (any failure it finds becomes a regression test). */
const SEED = 20261202;
const MAX_STEPS = 4;

test(`generative: seeded random state sequences hold, re-apply silently, roll back exactly and agree with the memory backend (seed ${SEED})`, { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const { runs, interrupted, failure } = await fuzz({ seed: SEED, runs: 4, maxSteps: MAX_STEPS, kinds: "namespace", reproDir: join(tmpdir(), "nodenet-fuzz"), timeLimitMs: 100_000 });
  t.diagnostic(`${runs} sequences (of up to ${MAX_STEPS} steps) in ${((Date.now() - started) / 1000).toFixed(1)}s${interrupted ? ", cut short by the time budget" : ""}`);
  assert.ok(failure || runs > 0, "the time budget ran out before one sequence finished: nothing was tested");
  if (failure) assert.fail(`seed ${failure.seed}: ${failure.message}\nreproduction (apply in order): ${failure.files.join(" ")}`);
});
