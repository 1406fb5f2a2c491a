/**
 * Policies rolled out by the real handlers of a 3-node lab: a bridge with a
 * static address per node, maxUnavailable proven from a watch, and drift
 * corrected within seconds.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Enactment } from "../../src/cluster/api/enactment.ts";
import { Informer, resourceSource } from "../../src/cluster/kube/informer.ts";
import { currentPhase } from "../../src/cluster/handler/enactment-conditions.ts";
import { eventually, nodeLab, type NodeLab } from "./lab.ts";

const lab = nodeLab("nrol");

const phaseOf = (e: Enactment | undefined) => currentPhase(e?.status?.conditions);
const trueCondition = (conditions: { type: string; status: string; reason?: string; message?: string }[] | undefined) => conditions?.find((c) => c.status === "True");

async function policyAvailable(l: NodeLab, name: string, timeoutMs = 90_000) {
  return eventually(`policy ${name} to be Available`, timeoutMs, async () => {
    const c = trueCondition((await l.policies.get(name))?.status?.conditions);
    if (c?.type === "Degraded") throw new Error(`${name} is Degraded: ${c.message}`);
    return c?.type === "Available" ? c : undefined;
  });
}

describe("rollouts on lab nodes", () => {
  test("a bridge on eth1 with a static address per node: every enactment and policy Available, as iproute2 sees it", async () => {
    const l = lab();
    for (const i of [1, 2, 3]) {
      const applied = await l.kubectl(["apply", "-f", "-"], `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: br1-node-${i}}
spec:
  nodeSelector: {kubernetes.io/hostname: node-${i}}
  desiredState:
    interfaces:
    - name: br1
      type: linux-bridge
      state: up
      bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}
      ipv4: {enabled: true, address: [{ip: 198.51.100.1${i}, prefix-length: 24}]}
`);
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const i of [1, 2, 3]) {
      const c = await policyAvailable(l, `br1-node-${i}`);
      assert.equal(c.reason, "SuccessfullyConfigured");
      assert.equal(c.message, "1/1 nodes successfully configured");
      const enactment = await l.enactments.get(`node-${i}.br1-node-${i}`);
      assert.equal(phaseOf(enactment), "Available");
      assert.deepEqual(enactment?.metadata.labels, { "nmstate.io/node": `node-${i}`, "nmstate.io/policy": `br1-node-${i}` });
      assert.equal(enactment?.metadata.ownerReferences?.[0]?.kind, "Node");
      const br1 = await l.exec(`node-${i}`, ["ip", "-br", "-4", "addr", "show", "br1"]);
      assert.match(br1.stdout, new RegExp(`br1\\s+UP\\s+198\\.51\\.100\\.1${i}/24`));
      const port = JSON.parse((await l.exec(`node-${i}`, ["ip", "-json", "link", "show", "eth1"])).stdout) as { master?: string }[];
      assert.equal(port[0]?.master, "br1");
    }
    const nnce = await l.kubectl(["get", "nnce"]);
    assert.match(nnce.stdout, /node-1\.br1-node-1\s+Available\s+\S+\s+SuccessfullyConfigured/);
  });

  test("maxUnavailable: 1 — never two nodes progressing at once, from a watch of the enactments", { timeout: 180_000 }, async (t) => {
    const l = lab();
    const progressing = new Set<string>();
    let most = 0;
    const order: string[] = [];
    const informer = new Informer(l.kube.config, resourceSource(l.enactments, { labelSelector: "nmstate.io/policy=mtu-rollout" }), (e) => {
      const node = e.object.metadata.labels?.["nmstate.io/node"] ?? "?";
      if (e.type !== "deleted" && phaseOf(e.object) === "Progressing") {
        if (!progressing.has(node)) order.push(node);
        progressing.add(node);
      } else progressing.delete(node);
      most = Math.max(most, progressing.size);
    });
    await informer.start();
    t.after(() => informer.stop());
    const applied = await l.kubectl(["apply", "-f", "-"], `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: mtu-rollout}
spec:
  maxUnavailable: 1
  desiredState:
    interfaces:
    - {name: br-mtu, type: linux-bridge, state: up, mtu: 9000, bridge: {options: {stp: {enabled: false}}}}
`);
    assert.equal(applied.code, 0, applied.stderr);
    const c = await policyAvailable(l, "mtu-rollout");
    assert.equal(c.message, "3/3 nodes successfully configured");
    t.diagnostic(`nodes went Progressing in this order: ${order.join(", ")}; at most ${most} at once`);
    assert.equal(order.length, 3, "every node progressed");
    assert.equal(most, 1, "never two at once");
  });

  test("maxUnavailable clamped: \"0%\" is one node at a time, \"150%\" every node; both warned at admission and shown in the status; \"abc\" refused naming the field", { timeout: 240_000 }, async (t) => {
    const l = lab();
    const progressing = new Set<string>();
    let most = 0;
    const informer = new Informer(l.kube.config, resourceSource(l.enactments, { labelSelector: "nmstate.io/policy=mu-clamped" }), (e) => {
      const node = e.object.metadata.labels?.["nmstate.io/node"] ?? "?";
      if (e.type !== "deleted" && phaseOf(e.object) === "Progressing") progressing.add(node);
      else progressing.delete(node);
      most = Math.max(most, progressing.size);
    });
    await informer.start();
    t.after(() => informer.stop());
    const policy = (maxUnavailable: string, mtu: number) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: mu-clamped}
spec:
  maxUnavailable: ${maxUnavailable}
  desiredState:
    interfaces:
    - {name: br-mu, type: linux-bridge, state: up, mtu: ${mtu}, bridge: {options: {stp: {enabled: false}}}}
`;
    const maxColumn = async () => (await l.kubectl(["get", "nncp", "mu-clamped", "-o", "custom-columns=MAX:.status.maxUnavailableNodes", "--no-headers"])).stdout.trim();

    const zero = await l.kubectl(["apply", "-f", "-"], policy('"0%"', 1600));
    assert.equal(zero.code, 0, zero.stderr);
    assert.match(zero.stderr, /^Warning: spec\.maxUnavailable: "0%" means fewer than 1 of 3 nodes: raised to 1 \(1 at a time\)$/m);
    await policyAvailable(l, "mu-clamped", 120_000);
    assert.equal(most, 1, "0% is one node at a time");
    assert.equal(await maxColumn(), "1");

    most = 0;
    const all = await l.kubectl(["apply", "-f", "-"], policy('"150%"', 1700));
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /^Warning: spec\.maxUnavailable: "150%" is more than the 3 matching nodes: all of them \(3 at a time\)$/m);
    await eventually("status.maxUnavailableNodes 3", 30_000, async () => ((await maxColumn()) === "3" ? true : undefined));
    await eventually("every node at MTU 1700", 120_000, async () => {
      for (const node of ["node-1", "node-2", "node-3"]) if (!(await l.exec(node, ["ip", "link", "show", "br-mu"])).stdout.includes("mtu 1700")) return undefined;
      return true;
    });
    await policyAvailable(l, "mu-clamped", 60_000);
    t.diagnostic(`150%: at most ${most} nodes progressing at once`);

    const bad = await l.kubectl(["apply", "-f", "-"], policy('"abc"', 1800));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.maxUnavailable: .*must be a whole number of nodes \(0 or more\) or a whole percentage such as "25%"/);
    assert.equal((await l.policies.get("mu-clamped"))?.spec?.maxUnavailable, "150%", "nothing changed");
    assert.equal((await l.kubectl(["delete", "nncp", "mu-clamped"])).code, 0);
  });

  test("drift: an address deleted by hand is restored within seconds, with an Event", async (t) => {
    const l = lab();
    await policyAvailable(l, "br1-node-1");
    const removed = Date.now();
    assert.equal((await l.exec("node-1", ["ip", "address", "del", "198.51.100.11/24", "dev", "br1"])).code, 0);
    await eventually("198.51.100.11 back on node-1's br1", 30_000, async () =>
      (await l.exec("node-1", ["ip", "-br", "-4", "addr", "show", "br1"])).stdout.includes("198.51.100.11/24") ? true : undefined,
    );
    const seconds = (Date.now() - removed) / 1000;
    t.diagnostic(`drift corrected after ${seconds.toFixed(1)} s`);
    assert.ok(seconds < 15, `within seconds (${seconds.toFixed(1)} s)`);
    const events = await eventually("a DriftCorrected event", 15_000, async () => {
      const list = await l.kube.events.listNamespacedEvent({ namespace: "default" });
      const found = list.items.filter((e) => e.reason === "DriftCorrected" && e.regarding?.name === "node-1.br1-node-1");
      return found.length ? found : undefined;
    });
    assert.match(events[0]!.note ?? "", /drift corrected on node-1: br1 restored/);
    assert.equal(phaseOf(await l.enactments.get("node-1.br1-node-1")), "Available");
  });
});
