/**
 * Several policies on the same nodes: dependencies across policies, conflicts
 * reported instead of fought over, revert on delete (opt-in) and its
 * absence, and `nodenet rollout status`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventually, nodeLab, run, type NodeLab } from "./lab.ts";

const lab = nodeLab("npol");
const NODENET = new URL("../../bin/nodenet", import.meta.url).pathname;

const policy = (name: string, spec: string) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: ${name}}
spec:
${spec}`;

async function apply(l: NodeLab, yaml: string): Promise<void> {
  const r = await l.kubectl(["apply", "-f", "-"], yaml);
  assert.equal(r.code, 0, r.stderr);
}

async function verdict(l: NodeLab, name: string) {
  return (await l.policies.get(name))?.status?.conditions?.find((c) => c.status === "True");
}

describe("several policies on one node", () => {
  test("a policy using an interface another policy creates waits for it, whatever the order", async () => {
    const l = lab();
    await apply(l, policy("uses-vd", "  nodeSelector: {kubernetes.io/hostname: node-1}\n  desiredState:\n    interfaces:\n    - {name: br-dep, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}, port: [{name: vd}]}}\n"));
    const waiting = await eventually("uses-vd to wait for vd", 30_000, async () => {
      const c = (await l.enactments.get("node-1.uses-vd"))?.status?.conditions?.find((x) => x.status === "True");
      return c?.type === "Pending" ? c : undefined;
    });
    assert.equal(waiting.reason, "WaitingForPolicy");
    assert.match(waiting.message ?? "", /waiting for vd/);
    await apply(l, policy("makes-vd", "  nodeSelector: {kubernetes.io/hostname: node-1}\n  desiredState:\n    interfaces:\n    - {name: vd, type: veth, state: up, veth: {peer: vdp}}\n"));
    const done = await eventually("both policies Available", 60_000, async () => {
      const [a, b] = [await verdict(l, "uses-vd"), await verdict(l, "makes-vd")];
      return a?.type === "Available" && b?.type === "Available" ? [a, b] : undefined;
    });
    assert.equal(done[0]!.message, "1/1 nodes successfully configured");
    const port = JSON.parse((await l.exec("node-1", ["ip", "-json", "link", "show", "vd"])).stdout) as { master?: string }[];
    assert.equal(port[0]?.master, "br-dep");
  });

  test("two policies that set one field to different values are reported, naming both, not fought over", async () => {
    const l = lab();
    await apply(l, policy("mtu-9000", "  nodeSelector: {kubernetes.io/hostname: node-2}\n  desiredState:\n    interfaces:\n    - {name: br-c, type: linux-bridge, state: up, mtu: 9000, bridge: {options: {stp: {enabled: false}}}}\n"));
    await eventually("mtu-9000 Available", 60_000, async () => ((await verdict(l, "mtu-9000"))?.type === "Available" ? true : undefined));
    // creationTimestamp has whole seconds and a tie goes to the name ("mtu-1500" < "mtu-9000"):
    // create the second policy in a later second, so that mtu-9000 really is the older one.
    const created = Date.parse((await l.kubectl(["get", "nncp", "mtu-9000", "-o", "jsonpath={.metadata.creationTimestamp}"])).stdout.trim());
    assert.ok(Number.isFinite(created), "mtu-9000 has a creationTimestamp");
    while (Date.now() < created + 1_100) await new Promise((r) => setTimeout(r, 100));
    await apply(l, policy("mtu-1500", "  nodeSelector: {kubernetes.io/hostname: node-2}\n  desiredState:\n    interfaces:\n    - {name: br-c, type: linux-bridge, state: up, mtu: 1500}\n"));
    const degraded = await eventually("mtu-1500 Degraded", 60_000, async () => {
      const c = await verdict(l, "mtu-1500");
      return c?.type === "Degraded" ? c : undefined;
    });
    assert.equal(degraded.message, "1/1 nodes failed to configure");
    const failing = (await l.enactments.get("node-2.mtu-1500"))!.status!.conditions!.find((c) => c.type === "Failing")!;
    assert.match(failing.message ?? "", /policy mtu-1500 conflicts with policy mtu-9000 on node-2: br-c\.mtu is 1500 in mtu-1500 but 9000 in mtu-9000/);
    await new Promise((r) => setTimeout(r, 5_000));
    assert.equal((await verdict(l, "mtu-9000"))?.type, "Available", "the first policy keeps holding");
    assert.match((await l.exec("node-2", ["ip", "-br", "link", "show", "br-c"])).stdout + (await l.exec("node-2", ["ip", "-json", "link", "show", "br-c"])).stdout, /"mtu":9000/);
  });

  test("five policies setting one bridge's MTU, applied back to back: the oldest wins on every node, the others report a Conflict, admission warns", { timeout: 180_000 }, async (t) => {
    const l = lab();
    const mtus = [1400, 1410, 1420, 1430, 1440];
    const warnings: string[] = [];
    for (const mtu of mtus) {
      const r = await l.kubectl(["apply", "-f", "-"], policy(`five-${mtu}`, `  desiredState:\n    interfaces:\n    - {name: br-five, type: linux-bridge, state: up, mtu: ${mtu}, bridge: {options: {stp: {enabled: false}}}}\n`));
      assert.equal(r.code, 0, r.stderr);
      warnings.push(r.stderr);
    }
    t.diagnostic(`kubectl apply five-1410 said:\n${warnings[1]}`);
    assert.equal(warnings[0], "", "the first policy conflicts with nothing");
    for (const [i, stderr] of warnings.entries()) {
      if (i === 0) continue;
      assert.match(stderr, new RegExp(`^Warning: spec\\.desiredState\\.interfaces\\[0\\]\\.mtu: br-five\\.mtu is ${mtus[i]} here but \\d+ in policy five-14\\d0, which selects the same nodes: five-14\\d0 is older and wins; this policy will report a Conflict there`, "m"), `five-${mtus[i]}`);
    }
    const nodes = ["node-1", "node-2", "node-3"];
    const mtuOn = async (node: string) => (JSON.parse((await l.exec(node, ["ip", "-json", "link", "show", "br-five"])).stdout || "[{}]") as { mtu?: number }[])[0]?.mtu;
    await eventually("five-1400 Available and the other four Degraded", 120_000, async () => {
      const verdicts = await Promise.all(mtus.map((m) => verdict(l, `five-${m}`)));
      return verdicts[0]?.type === "Available" && verdicts.slice(1).every((v) => v?.type === "Degraded") ? true : undefined;
    });
    for (const node of nodes) assert.equal(await mtuOn(node), 1400, `${node} ends at the oldest policy's MTU`);
    // A policy is Degraded as soon as its first node reports the Conflict; the other nodes' enactments follow.
    await eventually("every younger policy's enactment on every node reports its Conflict", 60_000, async () => {
      for (const node of nodes) {
        for (const mtu of mtus.slice(1)) {
          const failing = (await l.enactments.get(`${node}.five-${mtu}`))?.status?.conditions?.find((c) => c.type === "Failing" && c.status === "True");
          assert.equal(failing?.reason, "Conflict", `${node}.five-${mtu}`);
          assert.match(failing?.message ?? "", new RegExp(`^Conflict: policy five-${mtu} conflicts with policy five-1400 on ${node}: br-five\\.mtu is ${mtu} in five-${mtu} but 1400 in five-1400; five-1400 is older and wins`));
        }
      }
      return true;
    });
    await new Promise((r) => setTimeout(r, 5_000));
    for (const node of nodes) assert.equal(await mtuOn(node), 1400, `${node} still at 1400: nobody fights`);

    // The winner gone, the next oldest wins everywhere.
    assert.equal((await l.kubectl(["delete", "nncp", "five-1400"])).code, 0);
    await eventually("five-1410 Available, 1410 on every node", 120_000, async () => {
      if ((await verdict(l, "five-1410"))?.type !== "Available") return undefined;
      for (const node of nodes) if ((await mtuOn(node)) !== 1410) return undefined;
      return true;
    });
    assert.equal((await l.kubectl(["delete", "nncp", ...mtus.slice(1).map((m) => `five-${m}`)])).code, 0);
  });

  test("revert on delete restores the original address and removes what the policy created; without the opt-in, delete changes nothing", async () => {
    const l = lab();
    assert.equal((await l.exec("node-3", ["ip", "address", "add", "203.0.113.50/24", "dev", "eth1"])).code, 0);
    const spec = (name: string, revert: boolean, ip: string) =>
      policy(
        name,
        `  nodeSelector: {kubernetes.io/hostname: node-3}\n${revert ? "  revertOnDelete: true\n" : ""}  desiredState:\n    interfaces:\n    - {name: br-${name}, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}, port: [{name: eth1}]}, ipv4: {enabled: true, address: [{ip: ${ip}, prefix-length: 24}]}}\n`,
      );
    await apply(l, spec("rev", true, "198.51.100.61"));
    await eventually("rev Available", 60_000, async () => ((await verdict(l, "rev"))?.type === "Available" ? true : undefined));
    assert.doesNotMatch((await l.exec("node-3", ["ip", "-br", "-4", "addr", "show", "eth1"])).stdout, /203\.0\.113\.50/, "eth1 became a port: its address went");
    assert.deepEqual((await l.enactments.get("node-3.rev"))?.metadata.finalizers, ["nodenet.io/revert-on-delete"]);

    assert.equal((await l.kubectl(["delete", "nncp", "rev", "--wait=false"])).code, 0);
    await eventually("br-rev removed and eth1's address back", 60_000, async () => {
      const links = (await l.exec("node-3", ["ip", "-br", "link"])).stdout;
      const eth1 = (await l.exec("node-3", ["ip", "-br", "-4", "addr", "show", "eth1"])).stdout;
      return !links.includes("br-rev") && eth1.includes("203.0.113.50/24") ? true : undefined;
    });
    await eventually("the enactment gone", 30_000, async () => ((await l.enactments.get("node-3.rev")) ? undefined : true));

    await apply(l, spec("keep", false, "198.51.100.62"));
    await eventually("keep Available", 60_000, async () => ((await verdict(l, "keep"))?.type === "Available" ? true : undefined));
    assert.equal((await l.kubectl(["delete", "nncp", "keep"])).code, 0);
    await eventually("keep's enactment gone", 30_000, async () => ((await l.enactments.get("node-3.keep")) ? undefined : true));
    assert.match((await l.exec("node-3", ["ip", "-br", "-4", "addr", "show", "br-keep"])).stdout, /198\.51\.100\.62\/24/, "without revertOnDelete the node keeps the configuration (upstream behaviour)");
  });

  test("nodenet rollout status follows a rollout to the end: 0 when Available, 1 with each failed node's message when Degraded", { timeout: 180_000 }, async () => {
    const l = lab();
    const follow = (name: string) => run(NODENET, ["rollout", "status", name, "--kubeconfig", l.kubeconfig, "--timeout", "120"]);
    await apply(l, policy("rs-ok", "  maxUnavailable: 1\n  desiredState:\n    interfaces:\n    - {name: br-rs, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}}}\n"));
    const ok = await follow("rs-ok");
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /3\/3 nodes configured/);
    assert.match(ok.stdout, /3\/3 nodes successfully configured/);
    await apply(l, policy("rs-bad", "  maxUnavailable: 1\n  desiredState:\n    interfaces:\n    - {name: br-bad, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}, port: [{name: eth0}]}}\n"));
    const bad = await follow("rs-bad");
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /policy rs-bad is Degraded: 1\/3 nodes failed to configure, 2 nodes aborted configuration/);
    assert.match(bad.stderr, /node-\d: Failing: default gateway 192\.0\.2\.1 via eth0 lost/);
    assert.match(bad.stderr, /node-\d: Aborted: rollout stopped/);
  });
});
