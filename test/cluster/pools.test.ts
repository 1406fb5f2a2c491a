/**
 * Address pools on a real API server: seven handlers — each with a token
 * bound to its own Node, so the ValidatingAdmissionPolicy applies — allocate
 * from one /29 at the same moment, round after round. Real optimistic
 * concurrency (PUT of the policy status with the resourceVersion read): no
 * two nodes ever get one address, exactly five get one (a /29 has six hosts,
 * the gateway takes one), the other two are told the pool is exhausted, and
 * 409 Conflicts really happened. Also: a handler cannot take or drop another
 * node's address; the CRD refuses a bad pool name; `kubectl get nnce` shows
 * the allocated address.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "../../src/cluster/kube/config.ts";
import { policyClient } from "../../src/cluster/kube/resources.ts";
import { replaceStatus } from "../../src/cluster/kube/status.ts";
import { allocateAddresses, type Allocated } from "../../src/cluster/pools/store.ts";
import { Controller } from "../../src/cluster/controller/controller.ts";
import { kubeAddressPools } from "../../src/cluster/pools/index.ts";
import { eventually, handlerTokenKubeconfig, kubectl, suiteKube, unique } from "./helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const ROUNDS = 8;

describe("address pools on the API server", () => {
  const admin = suiteKube();
  const prefix = unique("pool");
  const nodes = Array.from({ length: 7 }, (_, i) => `${prefix}-n${i + 1}`);
  const dir = mkdtempSync(join(tmpdir(), "nodenet-pools-"));
  const handlers = new Map<string, ReturnType<typeof policyClient>>();
  const policies: string[] = [];

  const policy = (name: string) => ({
    apiVersion: "nmstate.io/v1",
    kind: "NodeNetworkConfigurationPolicy",
    metadata: { name },
    spec: {
      nodeSelector: { "nodenet.io/test": prefix },
      addressPools: { storage: { cidr: "198.51.100.0/29", gateway: "198.51.100.1" } },
      desiredState: { interfaces: [{ name: "br-st", type: "linux-bridge", ipv4: { enabled: true, address: [{ ip: "{{ pool.storage }}", "prefix-length": 29 }] } }] },
    },
  });

  before(async () => {
    for (const file of ["namespace.yaml", "crds", "rbac/handler.yaml"]) {
      const applied = await kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(DEPLOY, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const node of nodes) {
      await admin.core.createNode({ body: { metadata: { name: node, labels: { "nodenet.io/test": prefix } } } });
      handlers.set(node, policyClient(connect(await handlerTokenKubeconfig(admin, dir, `${node}.kubeconfig`, node))));
    }
  });
  after(async () => {
    for (const name of policies) await kubectl(["delete", "nncp", name, "--ignore-not-found"]);
    for (const node of nodes) await admin.core.deleteNode({ name: node }).catch(() => undefined);
    await kubectl(["delete", "nnce", "-l", `nmstate.io/policy=${prefix}-shown`, "--ignore-not-found"]);
    rmSync(dir, { recursive: true, force: true });
  });

  test(`seven handlers allocating from one /29 at the same moment, ${ROUNDS} rounds: never one address twice, five allocated, two exhausted`, { timeout: 300_000 }, async (t) => {
    let conflicts = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const name = `${prefix}-r${round}`;
      policies.push(name);
      const created = await kubectl(["create", "-f", "-"], { input: JSON.stringify(policy(name)) });
      assert.equal(created.code, 0, created.stderr);
      // Every handler has read nothing yet; they start together (one event-loop turn, seven connections).
      const results: [string, Allocated][] = await Promise.all(
        nodes.map(async (node) => [node, await allocateAddresses({ policies: handlers.get(node)!, fieldManager: "nodenet-handler", onConflict: () => conflicts++ }, name, node)] as [string, Allocated]),
      );
      const got = results.flatMap(([node, r]) => (r.ok ? [[node, r.addresses.storage!.address] as const] : []));
      const refused = results.filter(([, r]) => !r.ok);
      const addresses = got.map(([, a]) => a);
      assert.equal(new Set(addresses).size, addresses.length, `round ${round}: an address given twice: ${JSON.stringify(got)}`);
      assert.deepEqual([...addresses].sort(), ["198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6"], `round ${round}`);
      assert.equal(refused.length, 2);
      for (const [, r] of refused) {
        assert.ok(!r.ok);
        assert.equal(r.reason, "AddressPoolExhausted");
        assert.match(r.message, /^address pool storage is exhausted: all 5 addresses for nodes in 198\.51\.100\.0\/29 /);
      }
      // What the API holds is what the handlers were told.
      const stored = (await policyClient(admin).get(name))!.status!.addressAllocations!;
      assert.deepEqual(stored.map((a) => `${a.node}=${a.address}`).sort(), got.map(([n, a]) => `${n}=${a}`).sort());
    }
    t.diagnostic(`${conflicts} conflicts (409) over ${ROUNDS} rounds`);
    process.stdout.write(`# ${conflicts} optimistic-concurrency conflicts (409) over ${ROUNDS} rounds of 7 simultaneous allocations\n`);
    assert.ok(conflicts >= ROUNDS, `the handlers really raced (${conflicts} conflicts)`);
  });

  test("a handler may take or give back only its own address; the others' are refused by the API server, naming the rule", async () => {
    const name = policies[0]!;
    const [mine, theirs] = [nodes[0]!, nodes.find((n) => n !== nodes[0])!];
    const client = handlers.get(mine)!;
    const read = (await client.get(name))!;
    const list = read.status!.addressAllocations!;
    const other = list.find((a) => a.node !== mine)!;
    const attempts = [
      list.filter((a) => a !== other),
      list.map((a) => (a === other ? { ...a, address: "198.51.100.6" } : a)),
      [...list, { pool: "storage", node: theirs, address: "198.51.100.7", since: "2026-12-02T00:00:00Z" }],
    ];
    for (const allocations of attempts) {
      await assert.rejects(replaceStatus(client, { ...read, status: { ...read.status, addressAllocations: allocations } }), (error: unknown) => {
        assert.match(String((error as { body?: unknown }).body ?? error), new RegExp(`may take or give back only its own addresses in the address pools of policy ${name}`));
        return true;
      });
    }
  });

  test("a policy edited to use no pool any more: each node's address goes back when it renders it", async () => {
    const name = policies[1]!;
    const live = (await policyClient(admin).get(name))!;
    const holder = live.status!.addressAllocations![0]!.node;
    const edited = { ...live, spec: { ...live.spec, desiredState: { interfaces: [{ name: "br-st", type: "linux-bridge", state: "up" }] } } };
    const placed = await kubeAddressPools({ policies: handlers.get(holder)!, fieldManager: "nodenet-handler" }).place(edited, { metadata: { name: holder } });
    assert.deepEqual(placed, { ok: true, addresses: [] });
    const after = (await policyClient(admin).get(name))!.status!.addressAllocations!;
    assert.equal(after.some((a) => a.node === holder), false);
    assert.equal(after.length, live.status!.addressAllocations!.length - 1, "the other nodes' entries stay");
  });

  test("the CRD refuses a pool name that cannot be written as {{ pool.NAME }}", async () => {
    const bad = policy(`${prefix}-bad`);
    (bad.spec.addressPools as Record<string, unknown>)["stor.age"] = { cidr: "203.0.113.0/29" };
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], { input: JSON.stringify(bad) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.addressPools: Invalid value.*address pool names are 1–63 letters, digits, '-' or '_'/);
  });

  test("the controller releases the addresses of a deleted Node (no handler is left to); the others' stay", { timeout: 120_000 }, async (t) => {
    const name = `${prefix}-gone`;
    policies.push(name);
    assert.equal((await kubectl(["create", "-f", "-"], { input: JSON.stringify(policy(name)) })).code, 0);
    const [kept, gone] = [nodes[0]!, nodes[6]!];
    for (const node of [kept, gone]) assert.ok((await allocateAddresses({ policies: handlers.get(node)!, fieldManager: "nodenet-handler" }, name, node)).ok);
    await admin.core.deleteNode({ name: gone });
    // Its own namespace: the controller's leader Lease must not wait for another test's.
    const namespace = unique("pools-ctl");
    assert.equal((await kubectl(["create", "namespace", namespace])).code, 0);
    t.after(() => kubectl(["delete", "namespace", namespace, "--wait=false"]).then(() => undefined));
    const controller = new Controller({ kube: admin, namespace, identity: namespace, leaseDurationMs: 3_000 });
    controller.start();
    t.after(() => controller.stop());
    const left = await eventually(`${gone}'s address released`, 60_000, async () => {
      const list = (await policyClient(admin).get(name))?.status?.addressAllocations ?? [];
      return list.some((a) => a.node === gone) ? undefined : list;
    });
    assert.deepEqual(left.map((a) => a.node), [kept]);
  });

  test("kubectl get nnce shows the allocated address", async () => {
    const node = nodes[0]!;
    const name = `${node}.${prefix}-shown`;
    const created = await kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "nmstate.io/v1beta1", kind: "NodeNetworkConfigurationEnactment", metadata: { name, labels: { "nmstate.io/node": node, "nmstate.io/policy": `${prefix}-shown` } } }),
    });
    assert.equal(created.code, 0, created.stderr);
    const patched = await kubectl(["patch", "nnce", name, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { addressAllocations: [{ pool: "storage", address: "198.51.100.4" }] } })]);
    assert.equal(patched.code, 0, patched.stderr);
    const shown = await kubectl(["get", "nnce", name]);
    assert.equal(shown.code, 0, shown.stderr);
    const [header, row] = shown.stdout.trim().split("\n");
    assert.match(header!, /\bADDRESS\b/);
    assert.equal(row!.split(/\s+/).at(-1), "198.51.100.4");
  });
});
