/**
 * Drain before configure (spec.drain) on a 3-node lab with pods that really
 * sit on the lab nodes (scheduled by kube-scheduler, Running by the node
 * agents, replaced by the Deployment controller, guarded by the disruption
 * controller): the node is cordoned, its pods evicted and rescheduled
 * elsewhere, the change applied, the node uncordoned; a PodDisruptionBudget
 * that forbids eviction makes the node wait and say why, until the budget
 * allows it or the drain times out (then nothing is applied and the node is
 * uncordoned); a handler killed mid-drain leaves a marked cordon that its
 * restart undoes; after a forced rollback the node is uncordoned too.
 *
 * Documented behaviour: a drain waits for PodDisruptionBudgets until
 * spec.drain.timeoutSeconds (default 300); on timeout the enactment is
 * Failing ("drain timed out after …: evicting NS/POD would violate
 * PodDisruptionBudget NAME (…); nothing applied, NODE uncordoned").
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { Enactment } from "../../src/cluster/api/enactment.ts";
import { DRAIN_MARKER } from "../../src/cluster/handler/drain-pods.ts";
import { Informer } from "../../src/cluster/kube/informer.ts";
import { isNodeReady, nodeSource, NodeSchema, type Node } from "../../src/cluster/kube/nodes.ts";
import { processStartTicks } from "../../src/process-alive.ts";
import { readLabState } from "../../src/lab/state.ts";
import { eventually, nodeLab, type NodeLab } from "./lab.ts";

const lab = nodeLab("ndrn");
const NS = "shop";
const REPLICAS = 6;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/pause:3.10
        resources: {requests: {cpu: 10m, memory: 16Mi}}
`;

const pdb = (minAvailable: number) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: ${NS}}
spec:
  minAvailable: ${minAvailable}
  selector: {matchLabels: {app: web}}
`;

/** A harmless change (a bridge with no ports) on one node, drained first. */
const bridgePolicy = (name: string, node: string, bridge: string, timeoutSeconds: number) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: ${name}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  drain: {enabled: true, timeoutSeconds: ${timeoutSeconds}}
  desiredState:
    interfaces:
    - {name: ${bridge}, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}}}
`;

interface WebPod {
  name: string;
  node: string;
  ready: boolean;
}

async function webPods(l: NodeLab): Promise<WebPod[]> {
  const list = await l.kube.core.listNamespacedPod({ namespace: NS, labelSelector: "app=web" });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => ({ name: p.metadata!.name!, node: p.spec?.nodeName ?? "", ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false }));
}

/** Every replica Running and Ready on a lab node. */
async function allReady(l: NodeLab, what: string): Promise<WebPod[]> {
  return eventually(what, 90_000, async () => {
    const pods = await webPods(l);
    return pods.length === REPLICAS && pods.every((p) => p.ready && p.node) ? pods : undefined;
  });
}

/** The node holding the most web pods. */
const busiest = (pods: WebPod[]) => {
  const counts = new Map<string, number>();
  for (const p of pods) counts.set(p.node, (counts.get(p.node) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
};

/** What the Node went through: every (unschedulable, marker) it showed, in order. */
async function watchNode(l: NodeLab, node: string): Promise<{ seen: { unschedulable: boolean; marker?: string }[]; stop: () => Promise<void> }> {
  const seen: { unschedulable: boolean; marker?: string }[] = [];
  const note = (n: Node) => {
    const entry = { unschedulable: n.spec?.unschedulable === true, ...(n.metadata.annotations?.[DRAIN_MARKER] ? { marker: n.metadata.annotations[DRAIN_MARKER] } : {}) };
    const last = seen.at(-1);
    if (!last || last.unschedulable !== entry.unschedulable || last.marker !== entry.marker) seen.push(entry);
  };
  const informer = new Informer(l.kube.config, nodeSource(l.kube, { fieldSelector: `metadata.name=${node}` }), (e) => {
    if (e.type !== "deleted") note(e.object);
  });
  await informer.start();
  return { seen, stop: () => informer.stop() };
}

async function nodeState(l: NodeLab, node: string) {
  const n = NodeSchema.parse(JSON.parse(JSON.stringify(await l.kube.core.readNode({ name: node }))));
  return { unschedulable: n.spec?.unschedulable === true, marker: n.metadata.annotations?.[DRAIN_MARKER], ready: isNodeReady(n) };
}

const uncordoned = (l: NodeLab, node: string) =>
  eventually(`${node} uncordoned, marker removed`, 30_000, async () => {
    const s = await nodeState(l, node);
    return !s.unschedulable && s.marker === undefined ? s : undefined;
  });

const condition = (e: Enactment | undefined) => e?.status?.conditions?.find((c) => c.status === "True");

async function events(l: NodeLab, reason: string, enactment: string) {
  const list = await l.kube.events.listNamespacedEvent({ namespace: "default" });
  return list.items.filter((e) => e.reason === reason && e.regarding?.name === enactment);
}

const hasLink = async (l: NodeLab, node: string, link: string) => (await l.exec(node, ["ip", "link", "show", link])).code === 0;

describe("drain before configure on lab nodes", () => {
  test("pods scheduled onto lab nodes, Running: the node agents report capacity and play kubelet", { timeout: 180_000 }, async (t) => {
    const l = lab();
    assert.equal((await l.kubectl(["create", "namespace", NS])).code, 0);
    await eventually(`${NS}'s default ServiceAccount (controller-manager)`, 30_000, async () => ((await l.kubectl(["get", "serviceaccount", "default", "-n", NS])).code === 0 ? true : undefined));
    const applied = await l.kubectl(["apply", "-f", "-"], DEPLOYMENT);
    assert.equal(applied.code, 0, applied.stderr);
    const started = Date.now();
    const pods = await allReady(l, `${REPLICAS} web pods Running and Ready on lab nodes`);
    const nodes = new Set(pods.map((p) => p.node));
    t.diagnostic(`${REPLICAS} pods Ready in ${((Date.now() - started) / 1000).toFixed(1)} s on ${[...nodes].sort().join(", ")}: ${pods.map((p) => `${p.name}@${p.node}`).join(" ")}`);
    assert.ok([...nodes].every((n) => /^node-[123]$/.test(n)));
    assert.ok(nodes.size >= 2, "the scheduler spreads them");
  });

  test("drain enabled: cordoned (with marker), pods evicted and rescheduled elsewhere, change applied, uncordoned", { timeout: 240_000 }, async (t) => {
    const l = lab();
    const before = await allReady(l, "the web pods Ready");
    const node = busiest(before);
    const evictees = before.filter((p) => p.node === node).map((p) => p.name);
    const watch = await watchNode(l, node);
    t.after(() => watch.stop());
    const started = Date.now();
    assert.equal((await l.kubectl(["apply", "-f", "-"], bridgePolicy("drain-ok", node, "br-drain", 120))).code, 0);
    const available = await eventually("drain-ok Available", 120_000, async () => {
      const c = condition(await l.enactments.get(`${node}.drain-ok`));
      if (c?.type === "Failing") throw new Error(`Failing: ${c.message}`);
      return c?.type === "Available" ? c : undefined;
    });
    t.diagnostic(`drained and applied on ${node} in ${((Date.now() - started) / 1000).toFixed(1)} s (${evictees.length} pods evicted: ${evictees.join(", ")})`);
    assert.equal(available.reason, "SuccessfullyConfigured");
    assert.ok(await hasLink(l, node, "br-drain"), "the change is applied");
    await uncordoned(l, node);
    assert.deepEqual(watch.seen.map((s) => `${s.unschedulable ? "cordoned" : "schedulable"}${s.marker ? ` by ${s.marker}` : ""}`), ["schedulable", "cordoned by drain-ok@1", "schedulable"]);

    const afterDrain = await allReady(l, "the Deployment back to full strength");
    assert.deepEqual(afterDrain.filter((p) => p.node === node), [], `no web pod on ${node}: replacements went to other nodes`);
    assert.ok(evictees.every((name) => !afterDrain.some((p) => p.name === name)), "the evicted pods are gone");
    const drained = await eventually("a Drained event", 15_000, async () => {
      const found = await events(l, "Drained", `${node}.drain-ok`);
      return found.length ? found : undefined;
    });
    assert.match(drained[0]!.note ?? "", new RegExp(`drained ${node} .*${evictees.length} pods? evicted`));
  });

  test("a PodDisruptionBudget that forbids eviction: the node waits and says why, nothing is applied; relaxed, it proceeds and is uncordoned", { timeout: 300_000 }, async (t) => {
    const l = lab();
    const before = await allReady(l, "the web pods Ready");
    const node = busiest(before);
    const count = before.filter((p) => p.node === node).length;
    assert.equal((await l.kubectl(["apply", "-f", "-"], pdb(REPLICAS))).code, 0);
    await eventually("web-pdb to allow no disruption", 30_000, async () => {
      const r = await l.kubectl(["get", "pdb", "web-pdb", "-n", NS, "-o", "jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}"]);
      return r.stdout === `${REPLICAS}/0` ? true : undefined;
    });
    assert.equal((await l.kubectl(["apply", "-f", "-"], bridgePolicy("drain-pdb", node, "br-pdb", 600))).code, 0);
    const waiting = await eventually("the enactment to report the budget", 60_000, async () => {
      const c = condition(await l.enactments.get(`${node}.drain-pdb`));
      return c?.type === "Progressing" && c.message?.includes("PodDisruptionBudget") ? c : undefined;
    });
    t.diagnostic(`${node}: ${waiting.message}`);
    assert.match(waiting.message ?? "", new RegExp(`^Draining ${node} before applying: waiting: evicting ${NS}/web-\\S+ would violate PodDisruptionBudget web-pdb \\(needs ${REPLICAS} healthy pods and has ${REPLICAS} currently\\)`));
    const blocked = await eventually("a DrainBlocked event", 15_000, async () => {
      const found = await events(l, "DrainBlocked", `${node}.drain-pdb`);
      return found.length ? found : undefined;
    });
    assert.equal(blocked[0]!.type, "Warning");
    assert.match(blocked[0]!.note ?? "", /would violate PodDisruptionBudget web-pdb/);
    const policy = await eventually("the policy to show the node progressing", 30_000, async () => {
      const c = (await l.policies.get("drain-pdb"))?.status?.conditions?.find((x) => x.status === "True");
      return c?.type === "Progressing" ? c : undefined;
    });
    t.diagnostic(`policy: ${policy.message}`);
    assert.deepEqual(await nodeState(l, node), { unschedulable: true, marker: "drain-pdb@1", ready: true });
    await new Promise((r) => setTimeout(r, 5_000));
    assert.equal(await hasLink(l, node, "br-pdb"), false, "nothing applied while the budget forbids the drain");
    assert.equal((await webPods(l)).filter((p) => p.node === node).length, count, "no pod evicted");

    const relaxed = Date.now();
    assert.equal((await l.kubectl(["apply", "-f", "-"], pdb(REPLICAS - 1))).code, 0);
    await eventually("drain-pdb Available", 180_000, async () => {
      const c = condition(await l.enactments.get(`${node}.drain-pdb`));
      if (c?.type === "Failing") throw new Error(`Failing: ${c.message}`);
      return c?.type === "Available" ? c : undefined;
    });
    t.diagnostic(`after relaxing the budget: ${count} pods evicted one at a time and the change applied in ${((Date.now() - relaxed) / 1000).toFixed(1)} s`);
    assert.ok(await hasLink(l, node, "br-pdb"));
    await uncordoned(l, node);
    const pods = await allReady(l, "the Deployment back to full strength");
    assert.deepEqual(pods.filter((p) => p.node === node), []);
  });

  test("a budget that does not relent: the drain times out, nothing is applied, the node is uncordoned and says why", { timeout: 180_000 }, async (t) => {
    const l = lab();
    const before = await allReady(l, "the web pods Ready");
    const node = busiest(before);
    assert.equal((await l.kubectl(["apply", "-f", "-"], pdb(REPLICAS))).code, 0);
    t.after(() => l.kubectl(["delete", "pdb", "web-pdb", "-n", NS, "--ignore-not-found"]));
    await eventually("web-pdb to allow no disruption", 30_000, async () => {
      const r = await l.kubectl(["get", "pdb", "web-pdb", "-n", NS, "-o", "jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}/{.status.observedGeneration}/{.metadata.generation}"]);
      const [healthy, allowed, observed, generation] = r.stdout.split("/");
      return healthy === String(REPLICAS) && allowed === "0" && observed === generation ? true : undefined;
    });
    const started = Date.now();
    assert.equal((await l.kubectl(["apply", "-f", "-"], bridgePolicy("drain-late", node, "br-late", 10))).code, 0);
    const failing = await eventually("drain-late Failing", 90_000, async () => {
      const c = condition(await l.enactments.get(`${node}.drain-late`));
      return c?.type === "Failing" ? c : undefined;
    });
    t.diagnostic(`after ${((Date.now() - started) / 1000).toFixed(1)} s: ${failing.message}`);
    assert.equal(failing.reason, "FailedToConfigure");
    assert.match(failing.message ?? "", new RegExp(`^drain timed out after 10s: evicting ${NS}/web-\\S+ would violate PodDisruptionBudget web-pdb \\(needs ${REPLICAS} healthy pods and has ${REPLICAS} currently\\)(; \\d+ more pods? blocked)?; nothing applied, ${node} uncordoned$`));
    await uncordoned(l, node);
    assert.equal(await hasLink(l, node, "br-late"), false);
  });

  test("a handler killed (SIGKILL) mid-drain: the node stays marked, and the restarted handler uncordons it before anything else", { timeout: 180_000 }, async (t) => {
    const l = lab();
    assert.equal((await l.kubectl(["apply", "-f", "-"], pdb(REPLICAS))).code, 0);
    t.after(() => l.kubectl(["delete", "pdb", "web-pdb", "-n", NS, "--ignore-not-found"]));
    await eventually("web-pdb to allow no disruption", 30_000, async () => {
      const r = await l.kubectl(["get", "pdb", "web-pdb", "-n", NS, "-o", "jsonpath={.status.disruptionsAllowed}/{.status.observedGeneration}/{.metadata.generation}"]);
      const [allowed, observed, generation] = r.stdout.split("/");
      return allowed === "0" && observed === generation ? true : undefined;
    });
    const node = busiest(await allReady(l, "the web pods Ready"));
    const watch = await watchNode(l, node);
    t.after(() => watch.stop());
    assert.equal((await l.kubectl(["apply", "-f", "-"], bridgePolicy("drain-crash", node, "br-crash", 600))).code, 0);
    await eventually(`${node} cordoned and waiting for the budget`, 60_000, async () => {
      const c = condition(await l.enactments.get(`${node}.drain-crash`));
      return c?.message?.includes("PodDisruptionBudget web-pdb") ? true : undefined;
    });
    const pid = l.pid(`handler-${node}`);
    process.kill(pid, "SIGKILL");
    await eventually("the killed handler to be gone", 10_000, () => (processStartTicks(pid) === undefined ? true : undefined));
    assert.deepEqual(await nodeState(l, node), { unschedulable: true, marker: "drain-crash@1", ready: true }, "the cordon outlives its handler, marked");

    await l.restart(`handler-${node}`);
    const log = readLabState(l.name)!.nodes.processes!.find((p) => p.name === `handler-${node}`)!.log;
    await eventually("the restarted handler to recover the cordon", 60_000, () => (readFileSync(log, "utf8").includes(`${node} was left cordoned by an unfinished drain (drain-crash@1): uncordoned`) ? true : undefined));
    // The policy still wants the change: the restarted handler drains again (and waits for the budget again).
    await eventually(`${node} cordoned again by the restarted handler`, 60_000, () => (watch.seen.filter((s) => s.unschedulable).length >= 2 ? true : undefined));
    assert.equal(await hasLink(l, node, "br-crash"), false);

    // Deleting the policy mid-drain abandons the drain at once (not after its 600 s timeout) and uncordons.
    const deleted = Date.now();
    assert.equal((await l.kubectl(["delete", "nncp", "drain-crash"])).code, 0);
    await uncordoned(l, node);
    t.diagnostic(`uncordoned ${((Date.now() - deleted) / 1000).toFixed(1)} s after the policy was deleted; node history: ${watch.seen.map((s) => (s.unschedulable ? `cordoned(${s.marker ?? "?"})` : "schedulable")).join(" → ")}`);
    assert.deepEqual(watch.seen.map((s) => s.unschedulable), [false, true, false, true, false]);
    assert.equal(await hasLink(l, node, "br-crash"), false);
  });

  test("a forced rollback (eth0 under a bridge without IP configuration), drain enabled: drained, rolled back, uncordoned", { timeout: 240_000 }, async (t) => {
    const l = lab();
    assert.equal((await l.kubectl(["delete", "pdb", "web-pdb", "-n", NS, "--ignore-not-found"])).code, 0);
    const before = await allReady(l, "the web pods Ready");
    const node = busiest(before);
    const watch = await watchNode(l, node);
    t.after(() => watch.stop());
    assert.equal(
      (await l.kubectl(["apply", "-f", "-"], `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: drain-broken}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  drain: {enabled: true, timeoutSeconds: 120}
  desiredState:
    interfaces:
    - name: br0
      type: linux-bridge
      state: up
      bridge: {options: {stp: {enabled: false}}, port: [{name: eth0}]}
`)).code,
      0,
    );
    const failing = await eventually("drain-broken Failing", 150_000, async () => {
      const c = condition(await l.enactments.get(`${node}.drain-broken`));
      return c?.type === "Failing" ? c : undefined;
    });
    t.diagnostic(`${node}: ${failing.message}`);
    assert.match(failing.message ?? "", /default gateway 192\.0\.2\.1 via eth0 lost/);
    assert.match(failing.message ?? "", /rolled back/);
    const state = await uncordoned(l, node);
    t.diagnostic(`node history: ${JSON.stringify(watch.seen)}`);
    assert.ok(watch.seen.some((s) => s.unschedulable && s.marker === "drain-broken@1"), "it was cordoned for the policy");
    assert.deepEqual((await webPods(l)).filter((p) => p.node === node), [], "its pods were evicted before the change");
    assert.equal(await hasLink(l, node, "br0"), false);
    await eventually(`${node} Ready`, 60_000, async () => ((await nodeState(l, node)).ready ? true : undefined));
    assert.equal(state.unschedulable, false);
  });
});
