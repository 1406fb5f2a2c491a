/**
 * `nodenet lab reboot`: a lab node configured by the demo's policies (br0 over
 * eth0 with DHCP, br1 over eth1) loses every process and all kernel state and
 * comes back Ready with its network from its persisted record — the handler
 * finding nothing to change: no enactment leaving Available, no burst of
 * NodeNetworkState writes. Then: a policy deleted (revert on delete) does not
 * come back at the next reboot.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Informer, resourceSource } from "../../src/cluster/kube/informer.ts";
import { fixedMgmtBridge, MGMT_POLICY, STORAGE_POLICY, storageBridge } from "../../src/lab/demo/policies.ts";
import { eventually, nodeLab, run, type NodeLab } from "./lab.ts";

const lab = nodeLab("nrbt", 2);
const NODENET = new URL("../../bin/nodenet", import.meta.url).pathname;

async function available(l: NodeLab, policy: string) {
  return eventually(`${policy} Available`, 120_000, async () => ((await l.policies.get(policy))?.status?.conditions?.find((c) => c.status === "True")?.type === "Available" ? true : undefined));
}

const ipv4Of = async (l: NodeLab, node: string, dev: string) =>
  (JSON.parse((await l.exec(node, ["ip", "-json", "-4", "addr", "show", "dev", dev])).stdout || "[]") as { addr_info: { local: string }[] }[]).flatMap((x) => x.addr_info.map((a) => a.local));

async function readyAfter(l: NodeLab, node: string, since: number): Promise<number> {
  return eventually(`${node} Ready again`, 120_000, async () => {
    const ready = (await l.kube.core.readNode({ name: node })).status?.conditions?.find((c) => c.type === "Ready");
    const beat = ready?.lastHeartbeatTime ? new Date(ready.lastHeartbeatTime).getTime() : 0;
    return ready?.status === "True" && beat >= since - 1000 ? Date.now() : undefined;
  });
}

describe("a lab node rebooted", () => {
  test("comes back Ready with br0's DHCP address and br1's address; the handler changes nothing", { timeout: 400_000 }, async (t) => {
    const l = lab();
    for (const yaml of [fixedMgmtBridge, storageBridge]) assert.equal((await l.kubectl(["apply", "-f", "-"], yaml)).code, 0);
    await available(l, MGMT_POLICY);
    await available(l, STORAGE_POLICY);
    const br0 = await ipv4Of(l, "node-2", "br0");
    const br1 = await ipv4Of(l, "node-2", "br1");
    assert.equal(br0.length, 1);
    assert.equal(br1.length, 1);

    const flaps: string[] = [];
    const nnsWrites: string[] = [];
    const enactments = new Informer(l.kube.config, resourceSource(l.enactments), (e) => {
      const c = e.object.status?.conditions?.find((x) => x.status === "True");
      if (e.object.metadata.name.startsWith("node-2.") && c && c.type !== "Available") flaps.push(`${e.object.metadata.name} ${c.type} ${c.reason}`);
    });
    const states = new Informer(l.kube.config, resourceSource(l.states), (e) => {
      if (e.type === "updated" && e.object.metadata.name === "node-2") nnsWrites.push(new Date().toISOString());
    });
    await enactments.start();
    await states.start();
    t.after(() => enactments.stop());
    t.after(() => states.stop());

    const started = Date.now();
    const reboot = await run(NODENET, ["lab", "reboot", "node-2", "--name", l.name]);
    assert.equal(reboot.code, 0, reboot.stderr);
    assert.match(reboot.stderr, /applied management: /);
    const ready = await readyAfter(l, "node-2", started);
    t.diagnostic(`node-2: reboot to Ready in ${ready - started} ms`);
    process.stdout.write(`# reboot to Ready: ${ready - started} ms\n`);
    assert.deepEqual(await ipv4Of(l, "node-2", "br0"), br0, "br0 has its DHCP address again");
    assert.deepEqual(await ipv4Of(l, "node-2", "br1"), br1, "br1 has its address again");
    const route = JSON.parse((await l.exec("node-2", ["ip", "-json", "route", "show", "default"])).stdout) as { gateway?: string; dev?: string }[];
    assert.equal(route[0]?.dev, "br0");

    // The handler's start-up report, then quiet: it found the state already right.
    await new Promise((r) => setTimeout(r, 15_000));
    assert.deepEqual(flaps, [], "no enactment of node-2 left Available");
    assert.ok(nnsWrites.length <= 2, `no burst of NodeNetworkState writes: ${nnsWrites.join(", ")}`);
    for (const policy of [MGMT_POLICY, STORAGE_POLICY]) {
      const c = (await l.enactments.get(`node-2.${policy}`))?.status?.conditions?.find((x) => x.status === "True");
      assert.equal(c?.type, "Available");
    }
  });

  test("a policy deleted (revert on delete) is not brought back by the next reboot", { timeout: 300_000 }, async () => {
    const l = lab();
    assert.equal((await l.kubectl(["delete", "nncp", STORAGE_POLICY, "--wait=true"])).code, 0);
    await eventually("br1 removed from node-2", 60_000, async () => ((await l.exec("node-2", ["ip", "link", "show", "br1"])).code !== 0 ? true : undefined));
    const reboot = await run(NODENET, ["lab", "reboot", "node-2", "--name", l.name]);
    assert.equal(reboot.code, 0, reboot.stderr);
    assert.notEqual((await l.exec("node-2", ["ip", "link", "show", "br1"])).code, 0, "br1 stays gone");
    assert.equal((await ipv4Of(l, "node-2", "br0")).length, 1, "the management bridge is back");
  });
});
