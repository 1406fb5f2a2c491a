/**
 * `nodenet lab` as a user runs it: up (control plane only), kubectl through
 * the printed kubeconfig, down leaving nothing behind — also after `lab up`
 * was killed halfway.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { labRoot } from "../../src/lab/state.ts";
import { eventually, run, unique } from "./helpers.ts";

const BIN = new URL("../../bin/nodenet", import.meta.url).pathname;
const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** PIDs of control-plane processes with an argument under `dir`. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      if (COMPONENTS.some((c) => args[0]?.endsWith(`/${c}`)) && args.some((a) => a.includes(`${dir}/`))) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

describe("nodenet lab", () => {
  const name = unique("cli");
  const dir = join(labRoot(), name);
  after(() => run(BIN, ["lab", "down", "--name", name]));

  test("up --nodes 99 is refused before anything starts", async () => {
    const r = await run(BIN, ["lab", "up", "--name", name, "--nodes", "99"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /at most 20 nodes/);
    assert.ok(!existsSync(dir));
  });

  test("up --nodes 0, kubectl get nncp,nnce,nns, up again reuses it, down leaves no process or file", async () => {
    const up = await run(BIN, ["lab", "up", "--name", name, "--nodes", "0"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /is up/);
    const kubeconfig = (await run(BIN, ["lab", "kubeconfig", "--name", name])).stdout.trim();
    assert.ok(kubeconfig.startsWith(dir));
    const get = await run("kubectl", ["--kubeconfig", kubeconfig, "get", "nncp,nnce,nns"]);
    assert.equal(get.code, 0, get.stderr);
    const pids = processesUnder(dir);
    assert.equal(pids.length, 4, "etcd, apiserver, controller-manager, scheduler");

    const again = await run(BIN, ["lab", "up", "--name", name, "--nodes", "0"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already up/);
    assert.deepEqual(processesUnder(dir).sort(), pids.sort(), "reused, not restarted");

    const status = JSON.parse((await run(BIN, ["lab", "status", "--name", name, "--json"])).stdout) as { healthy: boolean; processes: unknown[] };
    assert.equal(status.healthy, true);
    assert.equal(status.processes.length, 4);

    const down = await run(BIN, ["lab", "down", "--name", name]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(processesUnder(dir), []);
    assert.ok(!existsSync(dir), `${dir} removed`);
    assert.ok(!existsSync(`${dir}.lock`));
    const twice = await run(BIN, ["lab", "down", "--name", name]);
    assert.equal(twice.code, 0, "down is idempotent");
  });

  test("down cleans up after `lab up` was killed (SIGKILL) while starting", async () => {
    const child = spawn(BIN, ["lab", "up", "--name", name, "--nodes", "0"], { stdio: "ignore", detached: true });
    await eventually("the API server to be recorded", 60_000, () => {
      const state = existsSync(join(dir, "state.json")) ? (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { controlPlane?: { processes: { name: string }[] } }) : undefined;
      return state?.controlPlane?.processes.some((p) => p.name === "kube-apiserver") ? true : undefined;
    });
    process.kill(-child.pid!, "SIGKILL");
    assert.ok(processesUnder(dir).length >= 2, "etcd and the API server outlive the killed `lab up`");
    const down = await run(BIN, ["lab", "down", "--name", name]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(processesUnder(dir), []);
    assert.ok(!existsSync(dir));
  });
});
