/**
 * nodenet on real pods: a 3-node lab whose nodes run containerd and a real
 * kubelet (`lab up --kubelet`), the handler as deploy/handler.yaml's
 * DaemonSet from the image scripts/image/build.sh builds. One lab for the
 * whole file; the tests run in order on it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import type { Enactment } from "../../src/cluster/api/enactment.ts";
import { currentPhase } from "../../src/cluster/handler/enactment-conditions.ts";
import { isNodeReady, NodeSchema } from "../../src/cluster/kube/nodes.ts";
import { checkApiReachable } from "../../src/lab/network/index.ts";
import { readLabState } from "../../src/lab/state.ts";
import { eventually, nodeLab, run, type NodeLab } from "../nodes/lab.ts";

const NODES = ["node-1", "node-2", "node-3"];
const repo = new URL("../../", import.meta.url).pathname;
const K8S_VERSION = /^K8S_VERSION=(\S+)$/m.exec(readFileSync(join(repo, "scripts/control-plane/versions.env"), "utf8"))![1]!;
const HOST_BOOT_UNIT = "/etc/systemd/system/nodenet-boot.service";
const hostHadBootUnit = existsSync(HOST_BOOT_UNIT);
const hostResolv = readFileSync("/etc/resolv.conf", "utf8");

const lab = nodeLab("npod", 3, "kubelet");

async function handlerPods(l: NodeLab): Promise<V1Pod[]> {
  const list = await l.kube.core.listNamespacedPod({ namespace: "nodenet", labelSelector: "app.kubernetes.io/name=nodenet-handler" });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

const podReady = (p: V1Pod) => p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** One Running, Ready handler pod on every node. */
const handlersReady = (l: NodeLab, what: string) =>
  eventually(what, 120_000, async () => {
    const pods = await handlerPods(l);
    const byNode = new Map(pods.filter(podReady).map((p) => [p.spec!.nodeName!, p]));
    return NODES.every((n) => byNode.has(n)) && pods.length === NODES.length ? byNode : undefined;
  });

async function phases(l: NodeLab, policy: string): Promise<Record<string, string | undefined>> {
  const list = (await l.enactments.list({ labelSelector: `nmstate.io/policy=${policy}` })).items;
  return Object.fromEntries(list.map((e: Enactment) => [e.metadata.labels?.["nmstate.io/node"] ?? "?", currentPhase(e.status?.conditions)]));
}

async function allReachable(l: NodeLab): Promise<void> {
  for (const node of NODES) {
    const api = await checkApiReachable(l.name, node);
    assert.ok(api.ok, `${node} reaches the API server: ${api.detail}`);
  }
  await eventually("every node Ready", 60_000, async () => {
    const nodes = await l.kube.core.listNode();
    return nodes.items.every((n) => isNodeReady(NodeSchema.parse(JSON.parse(JSON.stringify(n))))) ? true : undefined;
  });
}

/** `ctr` against a node's own containerd. */
function ctr(l: NodeLab, node: string, args: string[]) {
  const k = readLabState(l.name)!.nodes.kubelets!.find((r) => r.node === node)!;
  return run("ctr", ["--address", k.containerdSocket, "--namespace", "k8s.io", ...args]);
}

/** Waits for the policy's true condition to be `type`; a timeout names every enactment's state. */
async function policyBecomes(l: NodeLab, policy: string, type: string, timeoutMs: number, accept: (message: string) => boolean = () => true) {
  try {
    return await eventually(`${policy} ${type}`, timeoutMs, async () => {
      const c = (await l.policies.get(policy))?.status?.conditions?.find((x) => x.status === "True");
      return c?.type === type && accept(c.message ?? "") ? c : undefined;
    });
  } catch (error) {
    const list = (await l.enactments.list({ labelSelector: `nmstate.io/policy=${policy}` })).items;
    const states = list.map((e: Enactment) => `${e.metadata.name}: ${(e.status?.conditions ?? []).filter((c) => c.status === "True").map((c) => `${c.type} ${c.message}`).join("; ")}`);
    throw new Error(`${(error as Error).message}\n${states.join("\n")}`);
  }
}

async function apply(l: NodeLab, yaml: string): Promise<void> {
  const r = await l.kubectl(["apply", "-f", "-"], yaml);
  assert.equal(r.code, 0, `kubectl apply failed: ${r.stderr}`);
}

const BROKEN = `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: br0-on-eth0}
spec:
  maxUnavailable: 1
  desiredState:
    interfaces:
    - name: br0
      type: linux-bridge
      state: up
      bridge: {options: {stp: {enabled: false}}, port: [{name: eth0}]}
`;
const FIXED = BROKEN.replace("      state: up\n", "      state: up\n      ipv4: {enabled: true, dhcp: true}\n");

const STORAGE = `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: storage}
spec:
  maxUnavailable: 1
  desiredState:
    interfaces:
    - name: br1
      type: linux-bridge
      state: up
      ipv4: {enabled: true, address: [{ip: 198.51.100.200, prefix-length: 24}]}
      bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}
`;

describe("nodenet on real pods (kubelet lab nodes)", () => {
  test("every node is a Ready kubelet node running a Ready handler pod from the image, in the node's network", { timeout: 180_000 }, async () => {
    const l = lab();
    const nodes = await l.kube.core.listNode();
    assert.deepEqual(nodes.items.map((n) => n.metadata!.name).sort(), NODES);
    for (const n of nodes.items) {
      assert.equal(n.status?.nodeInfo?.kubeletVersion, K8S_VERSION, `${n.metadata?.name} runs the pinned kubelet`);
      assert.match(n.status?.nodeInfo?.containerRuntimeVersion ?? "", /^containerd:\/\//);
    }
    const pods = await handlersReady(l, "a Ready handler pod on every node");
    for (const node of NODES) {
      const pod = pods.get(node)!;
      assert.equal(pod.spec?.hostNetwork, true);
      assert.equal(pod.status?.containerStatuses?.[0]?.image, "docker.io/library/nodenet:0.1.0");
      const address = (await l.exec(node, ["ip", "-json", "-4", "addr", "show", "eth0"])).stdout;
      assert.ok(address.includes(`"local":"${pod.status?.podIP}"`), `${node}'s pod IP ${pod.status?.podIP} is its eth0 address: ${address}`);
      // The containers really run in this node's containerd: the handler, its pause sandbox.
      const tasks = (await ctr(l, node, ["tasks", "ls"])).stdout;
      assert.equal(tasks.split("\n").filter((line) => / RUNNING$/.test(line.trim())).length, 2, `${node}'s containerd runs the sandbox and the handler:\n${tasks}`);
      const state = await eventually(`${node}'s NodeNetworkState`, 60_000, async () => (await l.states.get(node))?.status?.currentState);
      const eth0 = (state as { interfaces?: { name: string; ipv4?: { address?: { ip: string }[] } }[] }).interfaces?.find((i) => i.name === "eth0");
      assert.ok(eth0?.ipv4?.address?.some((a) => a.ip === pod.status?.podIP), `${node}'s state reports eth0's address`);
    }
    // The init container installed the boot unit into the node's /etc, not this machine's.
    assert.equal(existsSync(HOST_BOOT_UNIT), hostHadBootUnit, "the machine's own /etc/systemd is untouched");
    assert.equal(readFileSync("/etc/resolv.conf", "utf8"), hostResolv, "the machine's own resolv.conf is untouched");
  });

  test("the seed scenario on real pods: configure, break (first node rolls back, the others abort), fix", { timeout: 360_000 }, async (t) => {
    const l = lab();
    await apply(l, STORAGE);
    const configured = await policyBecomes(l, "storage", "Available", 120_000);
    assert.equal(configured.message, "3/3 nodes successfully configured");
    for (const node of NODES) assert.match((await l.exec(node, ["ip", "-br", "-4", "addr", "show", "br1"])).stdout, /198\.51\.100\.200\/24/);

    const started = Date.now();
    await apply(l, BROKEN);
    const degraded = await policyBecomes(l, "br0-on-eth0", "Degraded", 150_000, (m) => m.includes("2 nodes aborted"));
    t.diagnostic(`Degraded after ${((Date.now() - started) / 1000).toFixed(1)} s: ${degraded.message}`);
    assert.equal(degraded.message, "1/3 nodes failed to configure, 2 nodes aborted configuration");
    const byNode = await eventually("one Failing and two Aborted enactments", 30_000, async () => {
      const p = await phases(l, "br0-on-eth0");
      return Object.values(p).sort().join() === "Aborted,Aborted,Failing" ? p : undefined;
    });
    const failed = Object.entries(byNode).find(([, phase]) => phase === "Failing")![0];
    const failing = (await l.enactments.get(`${failed}.br0-on-eth0`))!.status!.conditions!.find((c) => c.type === "Failing")!;
    assert.match(failing.message ?? "", /default gateway 192\.0\.2\.1 via eth0 lost/);
    assert.match(failing.message ?? "", /rolled back/);
    for (const node of NODES) {
      assert.match((await l.exec(node, ["ip", "-br", "-4", "addr", "show", "eth0"])).stdout, /192\.0\.2\.10\d\/24/, `${node}'s eth0 has its address`);
      assert.equal((await l.exec(node, ["ip", "-br", "link", "show", "br0"])).code, 1, `${node} has no br0`);
    }
    await allReachable(l);

    await apply(l, FIXED);
    const available = await policyBecomes(l, "br0-on-eth0", "Available", 150_000);
    assert.equal(available.message, "3/3 nodes successfully configured");
    for (const [i, node] of NODES.entries()) assert.match((await l.exec(node, ["ip", "-br", "-4", "addr", "show", "br0"])).stdout, new RegExp(`192\\.0\\.2\\.10${i + 1}/24`));
    await allReachable(l);
    // Every handler pod stayed up through it all.
    for (const pod of (await handlersReady(l, "the handler pods still Ready")).values()) assert.equal(pod.status?.containerStatuses?.[0]?.restartCount, 0);
  });

  test("a handler pod deleted (kubectl delete pod) mid-apply: the DaemonSet's new pod finishes the rollout, the node is never left half-applied", { timeout: 300_000 }, async (t) => {
    const l = lab();
    const before = await handlersReady(l, "the handler pods Ready");
    // DHCP on a new veth waits for a lease nothing gives: a long apply to interrupt; it fails and rolls back.
    await apply(
      l,
      `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: slow-dhcp}
spec:
  maxUnavailable: 1
  desiredState:
    interfaces:
    - {name: vk, type: veth, state: up, veth: {peer: vkp}, ipv4: {enabled: true, dhcp: true}}
`,
    );
    const victim = await eventually("a node progressing", 90_000, async () => Object.entries(await phases(l, "slow-dhcp")).find(([, p]) => p === "Progressing")?.[0]);
    const stateDir = `/run/nodenet/netns-${l.netns(victim)}`;
    await eventually("the change under way (checkpoint written)", 30_000, () => (existsSync(`${stateDir}/checkpoint.json`) ? true : undefined));
    const old = before.get(victim)!;
    assert.equal((await l.kubectl(["-n", "nodenet", "delete", "pod", old.metadata!.name!, "--wait=false"])).code, 0);
    t.diagnostic(`deleted ${old.metadata!.name} on ${victim} mid-apply`);
    const fresh = await eventually(`a new handler pod Ready on ${victim}`, 150_000, async () => {
      const pod = (await handlerPods(l)).find((p) => p.spec?.nodeName === victim && p.metadata?.uid !== old.metadata?.uid);
      return pod && podReady(pod) ? pod : undefined;
    });
    t.diagnostic(`${fresh.metadata!.name} took over on ${victim}`);
    const final = await eventually("the rollout to end (one Failing, the others Aborted)", 150_000, async () => {
      const p = await phases(l, "slow-dhcp");
      return Object.values(p).sort().join() === "Aborted,Aborted,Failing" ? p : undefined;
    });
    t.diagnostic(`final: ${JSON.stringify(final)}`);
    for (const node of NODES) {
      const dir = `/run/nodenet/netns-${l.netns(node)}`;
      assert.doesNotMatch((await l.exec(node, ["ip", "-br", "link"])).stdout, /\bvk/, `${node} has no vk`);
      assert.ok(!existsSync(`${dir}/checkpoint.json`), `${node} has no pending checkpoint`);
      assert.ok(!existsSync(`${dir}/dynamic/vk.json`), `${node} runs no DHCP client for vk`);
    }
    await allReachable(l);
    assert.equal((await l.kubectl(["delete", "nncp", "slow-dhcp"])).code, 0);
  });
});
