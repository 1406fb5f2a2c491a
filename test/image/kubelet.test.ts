/**
 * The kubelet for lab nodes that run real pods: built from Go modules by
 * scripts/control-plane/build.sh --kubelet, at the control plane's pinned
 * version, into the control plane's own cache directory.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

const repo = new URL("../../", import.meta.url).pathname;
const buildScript = join(repo, "scripts/control-plane/build.sh");
const pinned = /^K8S_VERSION=(\S+)$/m.exec(readFileSync(join(repo, "scripts/control-plane/versions.env"), "utf8"))![1]!;

function run(command: string, args: string[], timeoutMs = 1_500_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }));
  });
}

describe("build.sh --kubelet", () => {
  test("puts a kubelet of the pinned version beside the control plane", async () => {
    const plain = await run(buildScript, []);
    assert.equal(plain.code, 0, plain.stderr);
    const built = await run(buildScript, ["--kubelet"]);
    assert.equal(built.code, 0, built.stderr);
    const bin = built.stdout.trimEnd().split("\n").at(-1)!;
    assert.equal(bin, plain.stdout.trimEnd().split("\n").at(-1), "the kubelet is not in the control plane's bin directory");
    const version = await run(join(bin, "kubelet"), ["--version"], 30_000);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), `Kubernetes ${pinned}`);
  });

  test("an unknown argument is refused, naming it, and builds nothing", async () => {
    const bad = await run(buildScript, ["--kubelets"], 30_000);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown argument --kubelets \(--kubelet, --kubectl, --helm\)/);
  });
});
