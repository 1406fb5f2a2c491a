/**
 * The failures nodenet exists for, on a 3-node lab: the classic policy that
 * takes a node's management NIC away, and a handler killed in the middle of
 * an apply.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import type { Enactment } from "../../src/cluster/api/enactment.ts";
import { currentPhase } from "../../src/cluster/handler/enactment-conditions.ts";
import { isNodeReady, NodeSchema } from "../../src/cluster/kube/nodes.ts";
import { checkApiReachable } from "../../src/lab/network/index.ts";
import { processStartTicks } from "../../src/process-alive.ts";
import { eventually, nodeLab, type NodeLab } from "./lab.ts";

const lab = nodeLab("nfail");
const NODES = ["node-1", "node-2", "node-3"];

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

describe("failures on lab nodes", () => {
  test("the seed scenario: eth0 under a bridge without IP configuration fails on the first node, which rolls back; the others abort; the fix succeeds everywhere", { timeout: 240_000 }, async (t) => {
    const l = lab();
    const started = Date.now();
    assert.equal((await l.kubectl(["apply", "-f", "-"], BROKEN)).code, 0);
    const degraded = await eventually("the policy to be Degraded with every node accounted for", 120_000, async () => {
      const c = (await l.policies.get("br0-on-eth0"))?.status?.conditions?.find((x) => x.status === "True");
      return c?.type === "Degraded" && c.message?.includes("2 nodes aborted") ? c : undefined;
    });
    t.diagnostic(`Degraded after ${((Date.now() - started) / 1000).toFixed(1)} s: ${degraded.message}`);
    assert.equal(degraded.reason, "FailedToConfigure");
    assert.equal(degraded.message, "1/3 nodes failed to configure, 2 nodes aborted configuration");
    const byNode = await eventually("one Failing and two Aborted enactments", 30_000, async () => {
      const p = await phases(l, "br0-on-eth0");
      const values = Object.values(p).sort();
      return values.join() === "Aborted,Aborted,Failing" ? p : undefined;
    });
    const failed = Object.entries(byNode).find(([, phase]) => phase === "Failing")![0];
    const failing = (await l.enactments.get(`${failed}.br0-on-eth0`))!.status!.conditions!.find((c) => c.type === "Failing")!;
    assert.equal(failing.reason, "FailedToConfigure");
    assert.match(failing.message ?? "", /default gateway 192\.0\.2\.1 via eth0 lost/);
    assert.match(failing.message ?? "", /rolled back/);
    const aborted = (await l.enactments.get(`${NODES.find((n) => n !== failed)}.br0-on-eth0`))!.status!.conditions!.find((c) => c.type === "Aborted")!;
    assert.equal(aborted.reason, "ConfigurationAborted");
    assert.match(aborted.message ?? "", new RegExp(`failed on ${failed}`));
    for (const node of NODES) {
      assert.match((await l.exec(node, ["ip", "-br", "-4", "addr", "show", "eth0"])).stdout, /192\.0\.2\.10\d\/24/, `${node}'s eth0 has its address`);
      assert.equal((await l.exec(node, ["ip", "-br", "link", "show", "br0"])).code, 1, `${node} has no br0`);
    }
    await allReachable(l);

    assert.equal((await l.kubectl(["apply", "-f", "-"], FIXED)).code, 0);
    const available = await eventually("the fixed policy to be Available", 120_000, async () => {
      const c = (await l.policies.get("br0-on-eth0"))?.status?.conditions?.find((x) => x.status === "True");
      return c?.type === "Available" ? c : undefined;
    });
    assert.equal(available.message, "3/3 nodes successfully configured");
    for (const [i, node] of NODES.entries()) assert.match((await l.exec(node, ["ip", "-br", "-4", "addr", "show", "br0"])).stdout, new RegExp(`192\\.0\\.2\\.10${i + 1}/24`));
    await allReachable(l);
  });

  test("a handler killed (SIGKILL) mid-apply: the node is restored when it restarts, and the rollout ends correctly", { timeout: 240_000 }, async (t) => {
    const l = lab();
    // DHCP on a new veth waits for a lease no server gives (nothing answers on it): a long apply to kill.
    assert.equal(
      (await l.kubectl(["apply", "-f", "-"], `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: slow-dhcp}
spec:
  maxUnavailable: 1
  desiredState:
    interfaces:
    - {name: vk, type: veth, state: up, veth: {peer: vkp}, ipv4: {enabled: true, dhcp: true}}
`)).code,
      0,
    );
    const victim = await eventually("a node progressing", 60_000, async () => Object.entries(await phases(l, "slow-dhcp")).find(([, p]) => p === "Progressing")?.[0]);
    const stateDir = `/run/nodenet/netns-${l.netns(victim)}`;
    await eventually("the change to be under way (checkpoint written)", 30_000, () => (existsSync(`${stateDir}/checkpoint.json`) ? true : undefined));
    // A seeded random point within the apply (which waits up to 20 s for its lease); replay with NODENET_FAULT_SEED.
    const seed = Number(process.env.NODENET_FAULT_SEED ?? Date.now() % 2 ** 31);
    const delayMs = seed % 5000;
    t.diagnostic(`seed ${seed}: killing the handler ${delayMs} ms after its checkpoint was written`);
    await new Promise((r) => setTimeout(r, delayMs));
    const pid = l.pid(`handler-${victim}`);
    process.kill(pid, "SIGKILL");
    await eventually("the killed handler to be gone", 10_000, () => (processStartTicks(pid) === undefined ? true : undefined));
    t.diagnostic(`killed the handler of ${victim} mid-apply`);
    await l.restart(`handler-${victim}`);
    await eventually(`${victim} restored (no vk, no DHCP client, no checkpoint)`, 60_000, async () => {
      const links = (await l.exec(victim, ["ip", "-br", "link"])).stdout;
      return !existsSync(`${stateDir}/checkpoint.json`) && !existsSync(`${stateDir}/dynamic/vk.json`) && !links.includes("vk") ? true : undefined;
    });
    const final = await eventually("the rollout to end (one Failing, the others Aborted)", 120_000, async () => {
      const p = await phases(l, "slow-dhcp");
      return Object.values(p).sort().join() === "Aborted,Aborted,Failing" ? p : undefined;
    });
    t.diagnostic(`after the restart: ${JSON.stringify(final)}`);
    const message = (await l.enactments.get(`${Object.entries(final).find(([, p]) => p === "Failing")![0]}.slow-dhcp`))!.status!.conditions!.find((c) => c.type === "Failing")!.message;
    assert.match(message ?? "", /no DHCPv4 lease on vk/);
    for (const node of NODES) assert.doesNotMatch((await l.exec(node, ["ip", "-br", "link"])).stdout, /\bvk/, `${node} has no vk`);
    await allReachable(l);
  });
});
