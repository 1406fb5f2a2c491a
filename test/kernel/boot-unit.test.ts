/**
 * deploy/systemd/nodenet-boot.service as systemd reads it: `systemd-analyze
 * verify` over a throwaway root holding the unit and an executable at its
 * ExecStart path (there is no systemd as PID 1 here), plus the ordering the
 * node depends on: after udev and network-pre, before network-online and the
 * kubelet, once per boot.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const UNIT = new URL("../../deploy/systemd/nodenet-boot.service", import.meta.url).pathname;
const text = readFileSync(UNIT, "utf8");
const values = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].flatMap((m) => m[1]!.trim().split(/\s+/));

test("systemd-analyze verify accepts nodenet-boot.service", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "nodenet-unit-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  mkdirSync(join(root, "opt/nodenet/bin"), { recursive: true });
  writeFileSync(join(root, "opt/nodenet/bin/nodenet"), "#!/bin/sh\n");
  chmodSync(join(root, "opt/nodenet/bin/nodenet"), 0o755);
  const installed = join(root, "etc/systemd/system/nodenet-boot.service");
  copyFileSync(UNIT, installed);
  const result = await promisify(execFile)("systemd-analyze", ["verify", `--root=${root}`, installed]).catch((error: { code?: unknown; stderr?: string }) => {
    if (error.code === "ENOENT") assert.fail("systemd-analyze is missing: run scripts/install.sh (Debian package systemd)");
    return { stdout: "", stderr: error.stderr ?? String(error) };
  });
  assert.equal(result.stderr, "", "no warning either (an unknown key is only a warning)");
});

test("the unit runs before the kubelet and network-online, after udev, once", () => {
  for (const target of ["network-online.target", "kubelet.service"]) assert.ok(values("Before").includes(target), `Before=${target}`);
  for (const after of ["systemd-udev-settle.service", "network-pre.target"]) assert.ok(values("After").includes(after), `After=${after}`);
  assert.deepEqual(values("Type"), ["oneshot"]);
  assert.deepEqual(values("Restart"), [], "no Restart=: a bad record must not crash-loop");
  assert.deepEqual(values("ExecStart").filter((w) => w.startsWith("/")), ["/opt/nodenet/bin/nodenet", "/opt/nodenet/bin/nodenet", "/etc/nmstate"]);
  assert.ok(values("ExecStart").includes("boot"));
});
