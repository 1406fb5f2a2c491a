/**
 * A failure with 1000 problems, reported through a real API server: a handler
 * (the real one, its controller kit and status writes) on a host that takes
 * no writes — every operation "succeeds" and nothing changes, so verification
 * finds all 1000 declared bridges missing. What users read stays short: the
 * Failing condition's message and the Event's note show the first few
 * problems and count the rest; the enactment's `status.failureDetails` lists
 * them all, within its limits, and the API server stores it. A later success
 * drops the details.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Handler } from "../../src/cluster/handler/handler.ts";
import { MemoryBackend } from "../../src/host/memory/backend.ts";
import type { Operation } from "../../src/state/plan/operations.ts";
import { STATUS_DETAIL_LIMITS } from "../../src/state/bounded.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { kubectl, suiteKube, unique } from "./helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const COUNT = 1000;

/** A host whose kernel accepts every write and does none of them. */
class DeafHost extends MemoryBackend {
  dropped = 0;
  deaf = true;
  override async execute(ops: readonly Operation[]): Promise<void> {
    if (!this.deaf) return super.execute(ops);
    this.dropped += ops.length;
  }
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

describe("a failure with 1000 problems through the API server", () => {
  const admin = suiteKube();
  const node = unique("details");
  const policy = `${node}-bridges`;
  const enactment = `${node}.${policy}`;
  const dir = mkdtempSync(join(tmpdir(), "nodenet-details-"));
  const host = new DeafHost({ interfaces: [{ name: "eth0", type: "ethernet", state: "up", ipv4: { enabled: true, address: [{ ip: "192.0.2.10", "prefix-length": 24 }] } }] }, { stateDir: join(dir, "host") });
  let handler: Handler | undefined;

  before(async () => {
    for (const file of ["namespace.yaml", "crds"]) {
      const applied = await kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(DEPLOY, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    await admin.core.createNode({ body: { metadata: { name: node, labels: { "kubernetes.io/hostname": node } } } });
    handler = new Handler({ node, kube: admin, backend: host, watchHost: () => ({ stop: () => undefined }), namespace: "nodenet", stateDir: join(dir, "handler"), probeTimeoutMs: 2_000, log: silentLogger, retry: { baseMs: 200, factor: 1, maxMs: 200 } });
    await handler.start();
  });
  after(async () => {
    await handler?.stop();
    await kubectl(["delete", "nncp", policy, "--ignore-not-found", "--wait=false"]);
    await kubectl(["delete", "nnce", enactment, "--ignore-not-found", "--wait=false"]);
    await admin.core.deleteNode({ name: node }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async () => {
    const got = await kubectl(["get", "nnce", enactment, "-o", "json", "--ignore-not-found"]);
    assert.equal(got.code, 0, got.stderr);
    return got.stdout.trim() ? (JSON.parse(got.stdout) as { status?: { conditions?: Condition[]; failureDetails?: string[] } }) : undefined;
  };
  const waitFor = async (what: string, phase: string, ms = 120_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const e = await read();
      if (e?.status?.conditions?.some((c) => c.type === phase && c.status === "True")) return e;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(e?.status?.conditions)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  test("1000 bridges missing after apply: a bounded condition message and Event, every problem in status.failureDetails, dropped on success", { timeout: 300_000 }, async () => {
    const bridges = Array.from({ length: COUNT }, (_, i) => ({ name: `nb${i}`, type: "linux-bridge", state: "up" }));
    const created = await kubectl(["apply", "--server-side", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "nmstate.io/v1", kind: "NodeNetworkConfigurationPolicy", metadata: { name: policy }, spec: { nodeSelector: { "kubernetes.io/hostname": node }, desiredState: { interfaces: bridges } } }),
    });
    assert.equal(created.code, 0, created.stderr);

    const failed = await waitFor("the enactment to fail", "Failing");
    assert.ok(host.dropped > COUNT, "the handler did try: its writes went nowhere");
    const condition = failed.status!.conditions!.find((c) => c.type === "Failing")!;
    assert.equal(condition.reason, "FailedToConfigure");
    assert.match(condition.message!, /verification failed: interfaces\.nb\d+/);
    assert.match(condition.message!, /…and 997 more/);
    assert.ok(condition.message!.length < 1024, `condition message of ${condition.message!.length} characters`);

    const details = failed.status!.failureDetails!;
    assert.ok(Array.isArray(details), "status.failureDetails is stored by the API server");
    assert.equal(details.length, COUNT, "every problem, none summarised: 1000 short lines fit the limits");
    assert.ok(details.length <= STATUS_DETAIL_LIMITS.maxItems);
    assert.ok(Buffer.byteLength(details.join("")) <= STATUS_DETAIL_LIMITS.maxBytes, `${Buffer.byteLength(details.join(""))} bytes`);
    for (let i = 0; i < COUNT; i++) assert.ok(details.some((d) => d.startsWith(`interfaces.nb${i}:`) || d.startsWith(`interfaces.nb${i}.`)), `nb${i} is in the details`);

    const events = await kubectl(["get", "events.events.k8s.io", "-A", "-o", "json"]);
    assert.equal(events.code, 0, events.stderr);
    const notes = (JSON.parse(events.stdout) as { items: { regarding?: { name?: string }; reason?: string; note?: string }[] }).items
      .filter((e) => e.regarding?.name === enactment && e.reason === "FailedToConfigure")
      .map((e) => e.note ?? "");
    assert.ok(notes.length >= 1, "a FailedToConfigure Event");
    for (const note of notes) {
      assert.ok(note.length <= 1024, `Event note of ${note.length} characters`);
      assert.match(note, /…and 997 more/);
    }

    // The host takes writes again and the policy changes: Available, and the details are gone.
    host.deaf = false;
    const fixed = await kubectl(["patch", "nncp", policy, "--type", "merge", "-p", JSON.stringify({ spec: { desiredState: { interfaces: bridges.slice(0, 3) } } })]);
    assert.equal(fixed.code, 0, fixed.stderr);
    const available = await waitFor("the fixed policy to apply", "Available");
    assert.equal(available.status!.failureDetails, undefined, "no stale details once the failure is over");
  });
});
