/**
 * The checkpoint lifecycle under hostile conditions (issue 13, items 4–7):
 * a pending change belongs to a namespace, not to its name; a checkpoint
 * whose watchdog is gone is rolled back by the next command; a namespace
 * deleted mid-apply and a state directory that is read-only or full give
 * clean errors that name what happened, and leave nothing behind.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { run } from "../../src/host/kernel/exec.ts";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { checkpointDirOf, kill9, readPending, waitFor, watchdogsFor } from "../helpers/checkpoints.ts";
import { TestNetns } from "../helpers/netns.ts";
import { kernelSnapshot } from "../helpers/snapshot.ts";

const BRIDGE = "interfaces:\n- {name: br0, type: linux-bridge, state: up, bridge: {port: []}, ipv4: {enabled: true, address: [{ip: 192.0.2.7, prefix-length: 24}]}}\n";
const NOSTACK = /nodenet bug|    at |Error: write/;

describe("a pending change belongs to the namespace, not to its name", () => {
  test("a namespace deleted and re-created under the same name is not touched by the old watchdog", async (t) => {
    const ns = await TestNetns.create("recreate", t);
    const [file] = stateFiles(t, BRIDGE);
    const applied = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", "--timeout", "3", file!]);
    assert.equal(applied.code, 0, applied.stderr);
    const oldDir = checkpointDirOf(ns.name);
    const [oldWatchdog] = watchdogsFor(oldDir);
    assert.ok(oldWatchdog, "a watchdog guards the change");

    await run("ip", ["netns", "delete", ns.name]);
    await run("ip", ["netns", "add", ns.name]);
    await ns.ip(["link", "add", "br0", "type", "bridge"]);
    const before = await kernelSnapshot(ns);
    assert.notEqual(checkpointDirOf(ns.name), oldDir, "the new namespace has its own transaction directory");

    // The new namespace has no pending change: an apply there is not refused.
    const status = await nodenet(["show", "--netns", ns.name]);
    assert.equal(status.code, 0, status.stderr);
    await waitFor("the old watchdog to end", () => watchdogsFor(oldDir).length === 0, 3000 + 5000);
    assert.equal(await kernelSnapshot(ns), before, "the hand-made br0 of the new namespace is untouched");
    assert.equal(existsSync(oldDir), false, "the old namespace's checkpoint went with it");
  });

  test("two names of one namespace (ip netns attach) share one pending change", async (t) => {
    const ns = await TestNetns.create("twonames", t);
    const alias = `${ns.name}b`;
    const sleeper = spawn("ip", ["netns", "exec", ns.name, "sleep", "30"], { stdio: "ignore" });
    t.after(async () => {
      sleeper.kill("SIGKILL");
      await run("ip", ["netns", "delete", alias]).catch(() => undefined);
    });
    await waitFor("the sleeper to enter the namespace", async () => (await run("ip", ["netns", "pids", ns.name])).stdout.trim() !== "", 5000);
    const pid = Number((await run("ip", ["netns", "pids", ns.name])).stdout.trim().split(/\s+/)[0]);
    await run("ip", ["netns", "attach", alias, String(pid)]);
    const [bridge, other] = stateFiles(t, BRIDGE, "interfaces: [{name: v1, type: veth, veth: {peer: v1p}}]\n");

    const first = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", "--timeout", "30", bridge!]);
    assert.equal(first.code, 0, first.stderr);
    await ns.settle();
    const withBridge = await kernelSnapshot(ns);
    const second = await nodenet(["apply", "--netns", alias, "--no-probes", other!]);
    assert.equal(second.code, 7, second.stderr);
    assert.match(second.stderr, new RegExp(`error: a change is pending on namespace ${alias} since .*run 'nodenet commit' or 'nodenet rollback' first`));
    assert.equal(await kernelSnapshot(ns), withBridge, "the second apply touched nothing");

    // Either name reaches the one change.
    const rolledBack = await nodenet(["rollback", "--netns", alias]);
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.equal((await ns.ipJson<unknown[]>(["link", "show", "br0"]).catch(() => [])).length, 0, "br0 is gone");
    const again = await nodenet(["apply", "--netns", alias, "--no-probes", other!]);
    assert.equal(again.code, 0, again.stderr);
  });
});

describe("a checkpoint whose watchdog is gone", () => {
  test("watchdog killed with kill -9, deadline passed: the next command rolls the change back, saying so", async (t) => {
    const ns = await TestNetns.create("orphan", t);
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, BRIDGE);
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", "--timeout", "2", file!])).code, 0);
    const dir = checkpointDirOf(ns.name);
    const checkpoint = readPending(dir)!;
    assert.ok(checkpoint.watchdogPid && checkpoint.watchdogStartTicks, "the checkpoint records its watchdog's PID and start time");
    kill9(checkpoint.watchdogPid);
    await waitFor("the deadline", () => Date.now() > checkpoint.deadline! + 500, 5000);
    assert.notEqual(await kernelSnapshot(ns), before, "nothing rolled the change back at its deadline");

    const shown = await nodenet(["show", "--netns", ns.name]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stderr, new RegExp(`nodenet: rolled back the change of ${checkpoint.createdAt} on namespace ${ns.name} now: its rollback watchdog \\(pid ${checkpoint.watchdogPid}\\) is gone and its deadline passed at ${new Date(checkpoint.deadline!).toISOString()}`));
    assert.equal(await kernelSnapshot(ns), before);
    assert.doesNotMatch(shown.stdout, /br0/, "show reports the restored state");
    assert.equal(readPending(dir), undefined);
    const next = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /a change is pending|rolled back automatically at/);
  });

  test("watchdog killed before the deadline: the next command starts a new one, which rolls back on time", async (t) => {
    const ns = await TestNetns.create("rewatch", t);
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, BRIDGE);
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", "--timeout", "15", file!])).code, 0);
    const dir = checkpointDirOf(ns.name);
    const checkpoint = readPending(dir)!;
    // 15 s, not less: the diff below must run before the deadline (past it, the command rolls
    // back itself instead of starting a watchdog), and on a loaded machine it took over 6 s.
    kill9(checkpoint.watchdogPid!);
    await waitFor("the watchdog to die", () => watchdogsFor(dir).length === 0, 5000);
    const diff = await nodenet(["diff", "--netns", ns.name, file!]);
    assert.match(diff.stderr, new RegExp(`its rollback watchdog \\(pid ${checkpoint.watchdogPid}\\) is gone: started a new one \\(pid \\d+\\); it rolls back at ${new Date(checkpoint.deadline!).toISOString()} unless committed`));
    assert.equal(watchdogsFor(dir).length, 1);
    await waitFor("the rollback", async () => (await kernelSnapshot(ns)) === before, checkpoint.deadline! - Date.now() + 5000);
    await waitFor("the new watchdog to end", () => watchdogsFor(dir).length === 0, 5000);
  });

  test("the handler's start-up rule holds for the CLI too: an applier killed right after writing the checkpoint is covered by a watchdog already running", async (t) => {
    const ns = await TestNetns.create("winclose", t);
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, BRIDGE);
    const applier = spawn(new URL("../../bin/nodenet", import.meta.url).pathname, ["apply", "--netns", ns.name, "--no-probes", "--timeout", "2", file!], { stdio: "ignore" });
    const dir = checkpointDirOf(ns.name);
    await waitFor("the checkpoint", () => readPending(dir) !== undefined, 20_000);
    applier.kill("SIGKILL");
    const checkpoint = readPending(dir)!;
    assert.ok(checkpoint.watchdogPid && watchdogsFor(dir).includes(checkpoint.watchdogPid), "the watchdog runs as soon as the checkpoint exists");
    await waitFor("the rollback", async () => readPending(dir) === undefined && (await kernelSnapshot(ns)) === before, checkpoint.deadline! - Date.now() + 5000);
  });
});

describe("a namespace deleted while its change was pending and its watchdog dead", () => {
  test("the next nodenet command removes the lock and checkpoint directory left behind", async (t) => {
    const [gone, other] = [await TestNetns.create("gonedir", t), await TestNetns.create("gonedirb", t)];
    const [file] = stateFiles(t, BRIDGE);
    assert.equal((await nodenet(["apply", "--netns", gone.name, "--no-probes", "--no-commit", "--timeout", "30", file!])).code, 0);
    const dir = checkpointDirOf(gone.name);
    kill9(readPending(dir)!.watchdogPid);
    await waitFor("the watchdog to die", () => watchdogsFor(dir).length === 0, 5000);
    await run("ip", ["netns", "delete", gone.name]);
    assert.ok(existsSync(dir), "nothing else removes it");
    const shown = await nodenet(["show", "--netns", other.name]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(existsSync(dir), false);
  });
});

describe("the namespace deleted in the middle of an apply", () => {
  test("a clean error naming it, no stack trace; no lock, checkpoint or watchdog left", async (t) => {
    const ns = await TestNetns.create("vanish", t);
    const many = ["interfaces:", ...Array.from({ length: 300 }, (_, i) => `- {name: vb${i}, type: linux-bridge, bridge: {port: []}, ipv4: {enabled: true, address: [{ip: 198.51.100.${(i % 250) + 1}, prefix-length: 32}]}}`)].join("\n") + "\n";
    const [file] = stateFiles(t, many);
    const dir = checkpointDirOf(ns.name);
    const result = nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    await waitFor("the checkpoint", () => readPending(dir) !== undefined, 30_000);
    await run("ip", ["netns", "delete", ns.name]);
    const { code, stderr } = await result;
    assert.equal(code, 5, stderr);
    assert.match(stderr, new RegExp(`error: .*namespace ${ns.name} was deleted while the change was (applied|in progress).*nothing is left to roll back`));
    assert.doesNotMatch(stderr, NOSTACK);
    await waitFor("the watchdog to end", () => watchdogsFor(dir).length === 0, 5000);
    assert.equal(existsSync(join(dir, "checkpoint.json")), false, "no checkpoint left");
    assert.equal(existsSync(join(dir, "apply.lock")), false, "no lock left");
    // The name is free for a new namespace.
    await run("ip", ["netns", "add", ns.name]);
    const next = await nodenet(["apply", "--netns", ns.name, "--no-probes", stateFiles(t, BRIDGE)[0]!]);
    assert.equal(next.code, 0, next.stderr);
  });
});

/** A tiny tmpfs as nodenet's state root, unmounted after the test (also on failure). */
async function smallStateRoot(t: TestContext, sizeKb: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-stateroot-"));
  await run("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "nodenet-test", dir]);
  t.after(async () => {
    await run("umount", ["-l", dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("the state directory full or read-only", () => {
  test("full (ENOSPC): a clear error naming the directory, no temporary file, nothing touched; applies work once there is room", async (t) => {
    const ns = await TestNetns.create("enospc", t);
    const root = await smallStateRoot(t, 64);
    const env = { NODENET_STATE_DIR: root };
    // Fill it, leaving room for the lock's few bytes but not for a checkpoint.
    let filler = 0;
    for (;;) {
      try {
        writeFileSync(join(root, `filler${filler++}`), Buffer.alloc(4096));
      } catch {
        break;
      }
    }
    rmSync(join(root, `filler0`));
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, ["interfaces:", ...Array.from({ length: 40 }, (_, i) => `- {name: fb${i}, type: linux-bridge, description: "${"x".repeat(200)}", bridge: {port: []}}`)].join("\n") + "\n");
    const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!], { env });
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, new RegExp(`error: cannot save the checkpoint in nodenet's state directory ${root}/netns-id-\\S+: no space left on the device \\(ENOSPC\\); nothing was changed`));
    assert.doesNotMatch(result.stderr, NOSTACK);
    assert.equal(await kernelSnapshot(ns), before);
    const leftovers = readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith(".tmp") || f.endsWith("checkpoint.json"));
    assert.deepEqual(leftovers, []);
    assert.equal(watchdogsFor(checkpointDirOf(ns.name, root)).length, 0);

    for (let i = 1; i < filler; i++) rmSync(join(root, `filler${i}`), { force: true });
    const next = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!], { env });
    assert.equal(next.code, 0, next.stderr);
  });

  test("read-only (EROFS): apply names the directory and changes nothing; show still works", async (t) => {
    const ns = await TestNetns.create("erofs", t);
    const root = await smallStateRoot(t, 1024);
    mkdirSync(join(root, "seed"));
    await run("mount", ["-o", "remount,ro", root]);
    const env = { NODENET_STATE_DIR: root };
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, BRIDGE);
    const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!], { env });
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, new RegExp(`error: cannot take the lock in nodenet's state directory ${root}/netns-id-\\S+: the file system is read-only \\(EROFS\\)`));
    assert.doesNotMatch(result.stderr, NOSTACK);
    assert.equal(await kernelSnapshot(ns), before);
    const shown = await nodenet(["show", "--netns", ns.name], { env });
    assert.equal(shown.code, 0, shown.stderr);
  });

  test("commit with the state directory turned read-only: refused with the reason, and the watchdog still rolls back on time", async (t) => {
    const ns = await TestNetns.create("rocommit", t);
    const root = await smallStateRoot(t, 1024);
    const env = { NODENET_STATE_DIR: root };
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, BRIDGE);
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", "--timeout", "3", file!], { env })).code, 0);
    const dir = checkpointDirOf(ns.name, root);
    const checkpoint = readPending(dir)!;
    await run("mount", ["-o", "remount,ro", root]);
    const commit = await nodenet(["commit", "--netns", ns.name], { env });
    assert.equal(commit.code, 5, commit.stderr);
    assert.match(commit.stderr, /error: cannot take the lock in nodenet's state directory .*: the file system is read-only \(EROFS\)/);
    assert.doesNotMatch(commit.stderr, NOSTACK);
    await waitFor("the rollback at the deadline", async () => (await kernelSnapshot(ns)) === before, checkpoint.deadline! - Date.now() + 5000);
    await waitFor("the watchdog to end", () => watchdogsFor(dir).length === 0, 5000);
  });
});
