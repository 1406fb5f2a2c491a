/**
 * reconcilePolicy on the memory backend, with the nmstate.io objects in a
 * fake cluster (fake-cluster.ts): what a user sees in the enactment and the
 * Events, and what the host holds, for success, a no-op, a failed probe
 * (rolled back, not retried), a dependency on another policy, a conflict
 * (the older wins), drift, a retryable failure, and revert on delete.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBackend } from "../../host/memory/backend.ts";
import type { HostBackend, HostSnapshot, ReadScope } from "../../host/backend.ts";
import type { Operation } from "../../state/plan/operations.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { NodenetError } from "../../errors.ts";
import { applyState } from "../../txn/transaction.ts";
import type { Enactment } from "../api/enactment.ts";
import { fakeHandler, type FakeHandler } from "./fake-cluster.ts";
import { reconcilePolicy, HOST_RETRY_LIMIT } from "./reconcile.ts";
import { REVERT_FINALIZER } from "./revert.ts";

const HOST: NetworkState = {
  interfaces: [
    { name: "eth0", type: "ethernet", state: "up", mtu: 1500, ipv4: { enabled: true, address: [{ ip: "192.0.2.10", "prefix-length": 24 }] } },
    { name: "eth1", type: "ethernet", state: "up", mtu: 1500 },
  ],
  routes: { config: [{ destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth0" }] },
};

/** A memory backend that counts reads, and reads before the first write of each change. */
class CountingBackend extends MemoryBackend {
  reads = 0;
  readsBeforeWrite: number[] = [];
  private sinceWrite = 0;
  override async read(scope?: ReadScope): Promise<HostSnapshot> {
    this.reads++;
    this.sinceWrite++;
    void scope;
    return super.read();
  }
  override async execute(ops: readonly Operation[]): Promise<void> {
    this.readsBeforeWrite.push(this.sinceWrite);
    this.sinceWrite = 0;
    return super.execute(ops);
  }
}

function setup(t: { after: (fn: () => void) => void }, options: Parameters<typeof fakeHandler>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-reconcile-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const backend = new CountingBackend(HOST, { stateDir: dir });
  return { backend, ...fakeHandler(backend, options) };
}

const policy = (name: string, interfaces: unknown[], extra: Record<string, unknown> = {}) => ({
  metadata: { name, ...((extra.metadata as object) ?? {}) },
  spec: { nodeSelector: { "kubernetes.io/hostname": "node-1" }, desiredState: { interfaces }, ...((extra.spec as object) ?? {}) },
});

const phase = (e: Enactment | undefined) => e?.status?.conditions?.find((c) => c.status === "True");
const mtuOf = async (backend: HostBackend, name: string) => (await backend.read()).state.interfaces?.find((i) => i.name === name)?.mtu;
const reconcile = (h: FakeHandler, key: string, retries = 0) => reconcilePolicy(h.ctx, { key, retries });

test("a change: applied through the transaction, Available, a slot taken and given back; the host is read once before the change", async (t) => {
  const h = setup(t);
  h.cluster.addPolicy(policy("mtu", [{ name: "eth1", type: "ethernet", mtu: 1400 }]));
  assert.deepEqual(await reconcile(h, "mtu"), {});
  assert.equal(phase(h.enactment("mtu"))?.type, "Available");
  assert.equal(h.enactment("mtu")?.status?.policyGeneration, 1);
  assert.equal(await mtuOf(h.backend, "eth1"), 1400);
  assert.deepEqual(h.backend.readsBeforeWrite, [1], "one read of the host before the change (the no-op check's snapshot is the transaction's)");
  assert.deepEqual(h.cluster.get("nodenetworkconfigurationpolicies", "mtu")?.status && (h.cluster.get("nodenetworkconfigurationpolicies", "mtu")!.status as { rolloutSlots?: unknown[] }).rolloutSlots, [], "the slot is given back");
  assert.ok(h.cluster.events.some((e) => e.reason === "SuccessfullyConfigured"));
  assert.ok(h.probed.length >= 1, "probes ran before commit");

  const reads = h.backend.reads;
  assert.deepEqual(await reconcile(h, "mtu"), {});
  assert.equal(h.backend.reads, reads, "holding and not drifted: the host is not read again");
});

test("nothing to change: Available at once, one read, no write, no slot", async (t) => {
  const h = setup(t);
  h.cluster.addPolicy(policy("same", [{ name: "eth1", type: "ethernet", mtu: 1500 }]));
  await reconcile(h, "same");
  assert.equal(phase(h.enactment("same"))?.type, "Available");
  assert.equal(h.backend.reads, 1);
  assert.equal(h.backend.writes, 0);
  assert.equal(h.cluster.writes.filter((w) => w.plural === "nodenetworkconfigurationpolicies").length, 0, "no slot taken");
});

test("a failed probe: rolled back, Failing with the probe's message, not retried", async (t) => {
  // The gateway answers before the change (a probe failing already is not held against it) and not after.
  const h: FakeHandler & { backend: CountingBackend } = setup(t, { probe: (target) => (target.kind === "gateway" && h.probed.length > 1 ? "no reply to ARP/ICMP" : undefined) });
  h.cluster.addPolicy(policy("breaks", [{ name: "eth1", type: "ethernet", mtu: 1400 }]));
  const before = (await h.backend.read()).state;
  assert.deepEqual(await reconcile(h, "breaks"), {}, "returned, not thrown: the controller kit does not retry it");
  const failing = phase(h.enactment("breaks"));
  assert.equal(failing?.type, "Failing");
  assert.match(failing?.message ?? "", /192\.0\.2\.1.*rolled back/);
  assert.deepEqual((await h.backend.read()).state, before, "the host is as before");
  assert.ok(h.cluster.events.some((e) => e.reason === "FailedToConfigure" && e.action === "Rollback"));
  const writes = h.backend.writes;
  await reconcile(h, "breaks");
  assert.equal(h.backend.writes, writes, "the same generation is not tried again");
});

test("a retryable failure is thrown to the kit with a 'retrying' status; past the limit it is Failing", async (t) => {
  const h = setup(t);
  h.backend.failAt = () => "RTNETLINK answers: Device or resource busy";
  h.cluster.addPolicy(policy("busy", [{ name: "eth1", type: "ethernet", mtu: 1400 }]));
  await assert.rejects(reconcile(h, "busy", 0), (error: unknown) => error instanceof NodenetError && error.retryable);
  assert.match(phase(h.enactment("busy"))?.message ?? "", new RegExp(`^retrying \\(1/${HOST_RETRY_LIMIT}\\) after: .*busy`));
  await assert.rejects(reconcile(h, "busy", 1));
  assert.match(phase(h.enactment("busy"))?.message ?? "", /^retrying \(2\//);
  assert.deepEqual(await reconcile(h, "busy", HOST_RETRY_LIMIT), {});
  assert.equal(phase(h.enactment("busy"))?.type, "Failing");
  assert.equal(await mtuOf(h.backend, "eth1"), 1500);
});

test("a policy using an interface another policy creates waits (Pending) until that one is Available", async (t) => {
  const h = setup(t);
  h.cluster.addPolicy(policy("bridge", [{ name: "br-a", type: "linux-bridge", state: "up" }]));
  h.cluster.addPolicy(policy("uses-bridge", [{ name: "br-a", mtu: 1400 }]));
  const waiting = await reconcile(h, "uses-bridge");
  assert.ok(waiting.requeueAfterMs !== undefined, "looked at again later");
  const pending = phase(h.enactment("uses-bridge"));
  assert.equal(pending?.type, "Pending");
  assert.equal(pending?.reason, "WaitingForPolicy");
  assert.match(pending?.message ?? "", /waiting for policy bridge to create br-a/);
  assert.equal(h.backend.writes, 0);
  await reconcile(h, "bridge");
  assert.equal(phase(h.enactment("bridge"))?.type, "Available");
  await reconcile(h, "uses-bridge");
  assert.equal(phase(h.enactment("uses-bridge"))?.type, "Available");
  assert.equal(await mtuOf(h.backend, "br-a"), 1400);
});

test("a conflict: the younger policy is Failing (Conflict), names the field and the older one, and changes nothing", async (t) => {
  const h = setup(t);
  h.cluster.addPolicy(policy("older", [{ name: "eth1", type: "ethernet", mtu: 1400 }], { metadata: { creationTimestamp: "2026-01-01T00:00:00Z" } }));
  h.cluster.addPolicy(policy("younger", [{ name: "eth1", type: "ethernet", mtu: 1300 }], { metadata: { creationTimestamp: "2026-01-02T00:00:00Z" } }));
  await reconcile(h, "younger");
  const failing = phase(h.enactment("younger"));
  assert.equal(failing?.reason, "Conflict");
  assert.match(failing?.message ?? "", /eth1\.mtu.*older/);
  assert.equal(h.backend.writes, 0);
  assert.equal(h.cluster.events.filter((e) => e.reason === "ConflictingPolicies").length, 1);
  await reconcile(h, "older");
  assert.equal(await mtuOf(h.backend, "eth1"), 1400);
  await reconcile(h, "younger");
  assert.equal(h.cluster.events.filter((e) => e.reason === "ConflictingPolicies").length, 1, "one Event per conflict, not one per look");
});

test("drift: a change by hand is put back, with a DriftCorrected Event", async (t) => {
  const h = setup(t);
  h.cluster.addPolicy(policy("mtu", [{ name: "eth1", type: "ethernet", mtu: 1400 }]));
  await reconcile(h, "mtu");
  // Someone sets the MTU by hand (here: through the memory host's own transaction, outside the handler).
  await applyState(h.backend, { interfaces: [{ name: "eth1", type: "ethernet", mtu: 9000 }] }, { persist: false });
  assert.equal(await mtuOf(h.backend, "eth1"), 9000);
  h.ctx.driftSuspects.add("mtu");
  await reconcile(h, "mtu");
  assert.equal(await mtuOf(h.backend, "eth1"), 1400);
  assert.equal(phase(h.enactment("mtu"))?.type, "Available");
  assert.ok(h.cluster.events.some((e) => e.reason === "DriftCorrected"));
});

test("revert on delete: the first change's revert state is kept; deleting the policy restores the host and lets the enactment go", async (t) => {
  const h = setup(t);
  h.cluster.addPolicy(policy("rev", [{ name: "eth1", type: "ethernet", mtu: 1400 }], { spec: { revertOnDelete: true } }));
  await reconcile(h, "rev");
  const held = h.enactment("rev");
  assert.ok(held?.metadata.finalizers?.includes(REVERT_FINALIZER));
  assert.equal((held?.status?.revertState as NetworkState | undefined)?.interfaces?.find((i) => i.name === "eth1")?.mtu, 1500);
  h.cluster.remove("nodenetworkconfigurationpolicies", "rev");
  await h.cluster.custom.deleteClusterCustomObject({ plural: "nodenetworkconfigurationenactments", name: "node-1.rev" });
  assert.ok(h.enactment("rev")?.metadata.deletionTimestamp, "held by the finalizer");
  await reconcile(h, "rev");
  assert.equal(await mtuOf(h.backend, "eth1"), 1500, "reverted");
  assert.equal(h.enactment("rev"), undefined, "the finalizer is removed and the enactment goes");
  assert.ok(h.cluster.events.some((e) => e.reason === "Reverted"));
});
