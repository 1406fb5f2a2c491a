/**
 * The failures nodenet exists for, on a 3-node lab: the classic policy that
 * takes a node's management NIC away, a handler killed in the middle of an
 * apply, and 20 seeded kill -9s of one node's handler at random points of an
 * apply, each leaving the node exactly as before or with the change complete.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Enactment } from "../../src/cluster/api/enactment.ts";
import { currentPhase } from "../../src/cluster/handler/enactment-conditions.ts";
import { isNodeReady, NodeSchema } from "../../src/cluster/kube/nodes.ts";
import { checkApiReachable } from "../../src/lab/network/index.ts";
import { processStartTicks } from "../../src/process-alive.ts";
import { eventually, nodeLab, type NodeLab } from "./lab.ts";

const lab = nodeLab("nfail");
const NODES = ["node-1", "node-2", "node-3"];
const KILL_TRIALS = 20;
const PORTS = Array.from({ length: 6 }, (_, i) => `kv${i}`);
const NODENET = new URL("../../bin/nodenet", import.meta.url).pathname;


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

  test(`${KILL_TRIALS} seeded kill -9s of a handler mid-apply: after each restart the node is byte-identical to before, or has the whole change`, { timeout: 900_000 }, async (t) => {
    const l = lab();
    const victim = "node-3";
    const stateDir = `/run/nodenet/netns-${l.netns(victim)}`;
    const dir = mkdtempSync(join(tmpdir(), "nodenet-kills-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const show = async () => {
      const shown = await l.exec(victim, [NODENET, "show"]);
      assert.equal(shown.code, 0, shown.stderr);
      return shown.stdout;
    };
    const undo = join(dir, "undo.yml");
    writeFileSync(undo, `interfaces:\n- {name: kbr, type: linux-bridge, state: absent}\n${PORTS.map((p) => `- {name: ${p}, type: veth, state: absent}\n`).join("")}`);
    const cleanUp = async () => {
      const undone = await l.exec(victim, [NODENET, "apply", "--memory-only", "--no-probes", undo]);
      assert.equal(undone.code, 0, undone.stderr);
    };
    const policy = (name: string) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: ${name}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${victim}}
  desiredState:
    interfaces:
    - name: kbr
      type: linux-bridge
      state: up
      ipv4: {enabled: true, address: [{ip: 203.0.113.1, prefix-length: 24}]}
      bridge: {options: {stp: {enabled: false}}, port: [${PORTS.map((p) => `{name: ${p}}`).join(", ")}]}
${PORTS.map((p, i) => `    - {name: ${p}, type: veth, state: up, veth: {peer: kvp${i}}}`).join("\n")}
`;
    const enactmentPhase = async (name: string) => currentPhase((await l.enactments.get(`${victim}.${name}`))?.status?.conditions);

    const checkpoint = `${stateDir}/checkpoint.json`;
    /** The moment the handler's transaction begins: its checkpoint is written before anything changes. */
    const applyBegins = () => eventually("the handler to begin the change (checkpoint written)", 60_000, () => (existsSync(checkpoint) ? Date.now() : undefined), 10);

    // Once without a kill: how long the change takes, and what the node looks like with all of it.
    const before = await show();
    assert.equal((await l.kubectl(["apply", "-f", "-"], policy("kill-0"))).code, 0);
    const began = await applyBegins();
    await eventually("the unkilled change to be Available", 120_000, async () => ((await enactmentPhase("kill-0")) === "Available" ? true : undefined), 50);
    const applyMs = Date.now() - began;
    const complete = await show();
    assert.notEqual(complete, before);
    assert.equal((await l.kubectl(["delete", "nncp", "kill-0"])).code, 0);
    await cleanUp();
    assert.equal(await show(), before, "the undo state puts the node back byte-identical (the basis of every comparison)");

    const base = Number(process.env.NODENET_FAULT_SEED ?? Date.now() % 2 ** 31);
    t.diagnostic(`${KILL_TRIALS} trials from seed ${base} (replay with NODENET_FAULT_SEED=${base}); the change takes ${applyMs} ms from its checkpoint to Available`);
    const outcomes = { restored: 0, completed: 0 };
    for (let trial = 1; trial <= KILL_TRIALS; trial++) {
      const seed = trialSeed(base, trial);
      // The kill lands anywhere between the checkpoint's writing and the moment the unkilled change was Available.
      const delayMs = seed % applyMs;
      const name = `kill-${trial}`;
      assert.equal((await l.kubectl(["apply", "-f", "-"], policy(name))).code, 0);
      const begun = await applyBegins();
      await new Promise((r) => setTimeout(r, Math.max(0, delayMs - (Date.now() - begun))));
      const pid = l.pid(`handler-${victim}`);
      process.kill(pid, "SIGKILL");
      await eventually("the killed handler to be gone", 10_000, () => (processStartTicks(pid) === undefined ? true : undefined));
      const phaseAtKill = await enactmentPhase(name);
      // Deleted while its handler is dead: after the restart nothing applies the policy again, so what
      // the node holds is what the kill and the recovery left.
      assert.equal((await l.kubectl(["delete", "nncp", name, "--wait=false"])).code, 0);
      await l.restart(`handler-${victim}`);
      const outcome = await eventually(`trial ${trial} (seed ${seed}): the node restored or the change complete`, 90_000, async () => {
        if (existsSync(`${stateDir}/checkpoint.json`)) return undefined;
        const now = await show();
        return now === before ? "restored" : withoutMacs(now) === withoutMacs(complete) ? "completed" : undefined;
      }).catch(async (error: Error) => {
        const now = await show();
        assert.fail(`${error.message}: half-applied, or still changing:\n--- before\n${before}\n--- now\n${now}`);
      });
      outcomes[outcome]++;
      t.diagnostic(`trial ${trial}: seed ${seed}, killed ${delayMs} ms into the apply (enactment ${phaseAtKill ?? "not yet written"}): ${outcome}`);
      if (outcome === "completed") await cleanUp();
      assert.equal(await show(), before);
    }
    t.diagnostic(`${KILL_TRIALS} trials, seed ${base}: ${outcomes.completed} completed, ${outcomes.restored} restored`);
    assert.equal(outcomes.completed + outcomes.restored, KILL_TRIALS);
    await allReachable(l);
  });
});


/** A created veth (and the bridge that takes its lowest port's MAC) gets a random MAC each time. */
const withoutMacs = (shown: string) => shown.replace(/^\s*mac-address: .*\n/gm, "");

/** One trial's seed from the run's: a 31-bit mix, so neighbouring trials land far apart. */
function trialSeed(base: number, trial: number): number {
  let x = (base ^ Math.imul(trial, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) & 0x7fffffff;
}
