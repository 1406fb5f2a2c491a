/**
 * One policy, a different static address on every node (issue 18), in a
 * 5-node lab whose handlers run in their own namespaces against the real API
 * server. The policy selects every worker; a sixth and seventh node are
 * added to the running lab later (`nodenet lab add-node --count 2`).
 *
 * The pool is 198.51.100.0/29 on the lab's data segment, whose router is
 * 198.51.100.1: a /29 has 8 addresses, 6 hosts (.1–.6) without the network
 * (.0) and broadcast (.7) addresses; the gateway .1 is never handed out, so
 * 5 remain, .2–.6 — one for each of the five nodes, none for the sixth and
 * seventh.
 *
 * Shown: kubectl apply refusing bad pools, naming the field; five different addresses on five bridges, each reaching the
 * gateway and its neighbours; the same addresses after a handler restart, a
 * policy edit (a new generation re-rendered on every node) and a node
 * reboot (`nodenet lab reboot`); exhaustion on the sixth and seventh nodes
 * only (Failing, AddressPoolExhausted), the first five staying Available;
 * a node leaving the policy gives its address back — removed from the node
 * first (revertOnDelete) — and a waiting node takes it; deleting the policy
 * removes every bridge and every allocation.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policy } from "../../src/cluster/api/policy.ts";
import { eventually, nodeLab, run, type NodeLab } from "./lab.ts";

const lab = nodeLab("npool", 5);
const NODENET = new URL("../../bin/nodenet", import.meta.url).pathname;
const POLICY = "storage-pool";
const FIRST = ["node-1", "node-2", "node-3", "node-4", "node-5"];
const POOL = ["198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6"];

const policy = (mtu: number) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: ${POLICY}}
spec:
  nodeSelector: {node-role.kubernetes.io/worker: ""}
  maxUnavailable: 3
  revertOnDelete: true
  addressPools:
    storage: {cidr: 198.51.100.0/29, gateway: 198.51.100.1}
  desiredState:
    interfaces:
    - name: br-st
      type: linux-bridge
      state: up
      mtu: ${mtu}
      description: 'storage of {{ node.name }} in rack {{ node.labels["rack"] }}'
      ipv4:
        enabled: true
        address: [{ip: "{{ pool.storage }}", prefix-length: "{{ pool.storage.prefix-length }}"}]
      bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}
`;

const phaseOf = async (l: NodeLab, node: string) => (await l.enactments.get(`${node}.${POLICY}`))?.status?.conditions?.find((c) => c.status === "True");

async function allAvailable(l: NodeLab, nodes: readonly string[], generation?: number): Promise<void> {
  await eventually(`${nodes.join(", ")} Available${generation ? ` at generation ${generation}` : ""}`, 180_000, async () => {
    for (const node of nodes) {
      const e = await l.enactments.get(`${node}.${POLICY}`);
      if (e?.status?.conditions?.find((c) => c.status === "True")?.type !== "Available") return undefined;
      if (generation && e.status?.policyGeneration !== generation) return undefined;
    }
    return true;
  });
}

/** node → its br-st IPv4 addresses (CIDR), as the kernel has them. */
async function bridgeAddresses(l: NodeLab, nodes: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const node of nodes) {
    const r = await l.exec(node, ["ip", "-json", "-4", "addr", "show", "dev", "br-st"]);
    out[node] = r.code === 0 ? (JSON.parse(r.stdout || "[]") as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((x) => x.addr_info.map((a) => `${a.local}/${a.prefixlen}`)) : [];
  }
  return out;
}

const allocations = async (l: NodeLab) =>
  Object.fromEntries(((await l.policies.get(POLICY))?.status?.addressAllocations ?? []).map((a) => [a.node, a.address]).sort(([a], [b]) => a!.localeCompare(b!, "en", { numeric: true })));

async function label(l: NodeLab, node: string, ...labels: string[]): Promise<void> {
  const r = await l.kubectl(["label", "node", node, "--overwrite", ...labels]);
  assert.equal(r.code, 0, r.stderr);
}

describe("address pools in a 5-node lab (and two nodes added): one policy, a different address on every node", () => {
  let assigned: Record<string, string> = {};

  test("kubectl apply refuses a gateway outside the pool, a pool too small for the selected nodes, a pool that does not fit the interface — naming the field", { timeout: 120_000 }, async () => {
    const l = lab();
    for (const [i, node] of FIRST.entries()) await label(l, node, `rack=r${(i % 2) + 1}`);
    const cases: [string, (yaml: string) => string, RegExp][] = [
      ["gateway outside", (y) => y.replace("gateway: 198.51.100.1}", "gateway: 198.51.100.9}"), /spec\.addressPools\.storage\.gateway: gateway 198\.51\.100\.9 is outside the pool 198\.51\.100\.0\/29/],
      ["too small", (y) => y.replace("cidr: 198.51.100.0/29", "cidr: 198.51.100.0/30"), /spec\.addressPools\.storage\.cidr: address pool storage is too small for the 5 nodes the policy selects: it has 1 address/],
      ["does not fit", (y) => y.replace('prefix-length: "{{ pool.storage.prefix-length }}"', "prefix-length: 30"), /spec\.desiredState\.interfaces\[0\]\.ipv4\.address\[0\]\.prefix-length: address pool storage \(198\.51\.100\.0\/29\) does not fit a \/30 subnet/],
    ];
    for (const [what, change, message] of cases) {
      const r = await l.kubectl(["apply", "-f", "-"], change(policy(1500)));
      assert.notEqual(r.code, 0, `${what}: refused`);
      assert.match(r.stderr, message, what);
    }
    assert.equal(await l.policies.get(POLICY), undefined, "nothing stored");
  });

  test("five nodes get five different addresses of the /29, on their bridges, shown by kubectl get nnce", { timeout: 300_000 }, async (t) => {
    const l = lab();
    const applied = await l.kubectl(["apply", "-f", "-"], policy(1500));
    assert.equal(applied.code, 0, applied.stderr);
    await allAvailable(l, FIRST);

    assigned = await allocations(l);
    assert.deepEqual(Object.keys(assigned), FIRST, "one allocation per selected node, recorded in the policy's status");
    assert.deepEqual(Object.values(assigned).sort(), POOL, "five different addresses, .2–.6: never the network, broadcast or gateway address");
    const onHosts = await bridgeAddresses(l, FIRST);
    for (const node of FIRST) assert.deepEqual(onHosts[node], [`${assigned[node]}/29`], `${node}'s br-st has its allocated address`);
    for (const [i, node] of FIRST.entries()) {
      const e = await l.enactments.get(`${node}.${POLICY}`);
      assert.deepEqual(e?.status?.addressAllocations, [{ pool: "storage", address: assigned[node] }]);
      const description = (await l.exec(node, ["cat", "/sys/class/net/br-st/ifalias"])).stdout.trim();
      assert.equal(description, `storage of ${node} in rack r${(i % 2) + 1}`, "node name and label templates");
    }
    // The addresses work: the gateway and a neighbour answer over the storage bridges.
    assert.equal((await l.exec("node-1", ["ping", "-c", "1", "-W", "3", "198.51.100.1"])).code, 0, "node-1 reaches the pool's gateway");
    assert.equal((await l.exec("node-1", ["ping", "-c", "1", "-W", "3", assigned["node-5"]!])).code, 0, "node-1 reaches node-5's pool address");

    const table = await l.kubectl(["get", "nnce", "-l", `nmstate.io/policy=${POLICY}`]);
    assert.equal(table.code, 0, table.stderr);
    process.stdout.write(`# kubectl get nnce -l nmstate.io/policy=${POLICY}\n${table.stdout.replace(/^/gm, "# ")}`);
    const [header, ...rows] = table.stdout.trim().split("\n");
    assert.match(header!, /\bADDRESS$/);
    for (const node of FIRST) {
      const row = rows.find((r) => r.startsWith(`${node}.${POLICY} `));
      assert.equal(row?.split(/\s+/).at(-1), assigned[node], `kubectl get nnce shows ${node}'s address`);
    }
    t.diagnostic(JSON.stringify(assigned));
  });

  test("a node label changed: the node renders the policy again; its address stays", { timeout: 120_000 }, async () => {
    const l = lab();
    await label(l, "node-4", "rack=r9");
    await eventually("node-4's br-st description to follow its rack label", 60_000, async () =>
      (await l.exec("node-4", ["cat", "/sys/class/net/br-st/ifalias"])).stdout.trim() === "storage of node-4 in rack r9" ? true : undefined,
    );
    await allAvailable(l, FIRST);
    assert.deepEqual((await bridgeAddresses(l, ["node-4"]))["node-4"], [`${assigned["node-4"]}/29`]);
    assert.deepEqual(await allocations(l), assigned);
  });

  test("the addresses stay the same across a handler restart and a policy edit (every node re-renders)", { timeout: 300_000 }, async () => {
    const l = lab();
    const pid = l.pid("handler-node-2");
    process.kill(pid, "SIGKILL");
    await eventually("handler-node-2 gone", 10_000, () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    await l.restart("handler-node-2");
    // Generation 2: each node renders the policy again, allocating again — and finds its address.
    const applied = await l.kubectl(["apply", "-f", "-"], policy(1480));
    assert.equal(applied.code, 0, applied.stderr);
    await allAvailable(l, FIRST, 2);
    assert.deepEqual(await allocations(l), assigned);
    const onHosts = await bridgeAddresses(l, FIRST);
    for (const node of FIRST) assert.deepEqual(onHosts[node], [`${assigned[node]}/29`]);
    const mtu = (await l.exec("node-2", ["cat", "/sys/class/net/br-st/mtu"])).stdout.trim();
    assert.equal(mtu, "1480", "the edit was applied by the restarted handler");
  });

  test("the address stays the same across a node reboot (nodenet lab reboot)", { timeout: 300_000 }, async () => {
    const l = lab();
    const before = (await l.policies.get(POLICY))!.status!.addressAllocations!;
    const reboot = await run(NODENET, ["lab", "reboot", "node-3", "--name", l.name]);
    assert.equal(reboot.code, 0, reboot.stderr);
    // The boot applier restored br-st from the node's record; the handler comes back and finds it right.
    await eventually("node-3's br-st back with its address", 120_000, async () => ((await bridgeAddresses(l, ["node-3"]))["node-3"]![0] === `${assigned["node-3"]}/29` ? true : undefined));
    await eventually("node-3's handler up again", 60_000, async () => ((await l.kubectl(["get", "--raw", "/api/v1/nodes/node-3"])).code === 0 ? true : undefined));
    await allAvailable(l, FIRST, 2);
    assert.deepEqual((await l.policies.get(POLICY))!.status!.addressAllocations, before, "the allocation list is untouched");
  });

  test("a sixth and seventh node added to the lab: exhaustion on those two only; the five keep their addresses and stay Available", { timeout: 300_000 }, async () => {
    const l = lab();
    const added = await run(NODENET, ["lab", "add-node", "--count", "2", "--name", l.name]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /added node-6, node-7/);
    for (const node of ["node-6", "node-7"]) await label(l, node, "rack=r3");
    for (const node of ["node-6", "node-7"]) {
      const failing = await eventually(`${node} Failing`, 120_000, async () => {
        const c = await phaseOf(l, node);
        return c?.type === "Failing" ? c : undefined;
      });
      assert.equal(failing.reason, "AddressPoolExhausted");
      assert.match(
        failing.message ?? "",
        new RegExp(`^address pool storage is exhausted: all 5 addresses for nodes in 198\\.51\\.100\\.0/29 \\(without the network and broadcast addresses, the gateway 198\\.51\\.100\\.1\\) are held by other nodes \\(node-1, node-2, node-3, node-4, node-5\\); ${node} gets none and nothing was applied`),
      );
      assert.deepEqual((await bridgeAddresses(l, [node]))[node], [], `${node} has no br-st: nothing was applied`);
    }
    for (const node of FIRST) assert.equal((await phaseOf(l, node))?.type, "Available", `${node} unaffected`);
    assert.deepEqual(await allocations(l), assigned);
    const verdict = await eventually("the policy Degraded", 30_000, async () => {
      const c = (await l.policies.get(POLICY))?.status?.conditions?.find((x) => x.status === "True");
      return c?.type === "Degraded" ? c : undefined;
    });
    assert.match(verdict.message ?? "", /2\/7 nodes failed to configure/);
  });

  test("a node leaving gives its address back — removed from it first — and a waiting node takes it", { timeout: 300_000 }, async () => {
    const l = lab();
    const freed = assigned["node-1"]!;
    await label(l, "node-1", "node-role.kubernetes.io/worker-");
    await eventually("node-1's allocation released", 120_000, async () => ((await allocations(l))["node-1"] === undefined ? true : undefined));
    assert.deepEqual((await bridgeAddresses(l, ["node-1"]))["node-1"], [], "node-1's br-st was reverted before its address was released");
    const taker = await eventually("node-6 or node-7 Available with the freed address", 120_000, async () => {
      const now = await allocations(l);
      const node = ["node-6", "node-7"].find((n) => now[n] === freed);
      return node && (await phaseOf(l, node))?.type === "Available" ? node : undefined;
    });
    assert.deepEqual((await bridgeAddresses(l, [taker]))[taker], [`${freed}/29`]);
    const other = taker === "node-6" ? "node-7" : "node-6";
    assert.equal((await phaseOf(l, other))?.type, "Failing", `${other} still has none`);
    const addresses = Object.values(await allocations(l));
    assert.equal(new Set(addresses).size, addresses.length, "still no address twice");
  });

  test("deleting the policy removes every bridge and every allocation", { timeout: 300_000 }, async () => {
    const l = lab();
    const holders = Object.keys(await allocations(l));
    const deleted = await l.kubectl(["delete", "nncp", POLICY, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually("every enactment gone", 120_000, async () => ((await l.enactments.list({ labelSelector: `nmstate.io/policy=${POLICY}` })).items.length === 0 ? true : undefined));
    const onHosts = await bridgeAddresses(l, holders);
    for (const node of holders) assert.deepEqual(onHosts[node], [], `${node}'s br-st reverted`);
    assert.equal(await l.policies.get(POLICY), undefined as Policy | undefined, "the allocations went with the policy's status");
  });
});
