/** NodeNetworkState from real handlers in lab nodes: reported, quiet when idle, fresh after a manual change. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Informer, resourceSource } from "../../src/cluster/kube/informer.ts";

import { eventually, nodeLab } from "./lab.ts";

const lab = nodeLab("nrep");

describe("NodeNetworkState", () => {
  test("kubectl get nns shows every node's interfaces, addresses and routes", async () => {
    const { kubectl, states } = lab();
    const listed = await kubectl(["get", "nns"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]), ["node-1", "node-2", "node-3"]);
    for (const [i, name] of ["node-1", "node-2", "node-3"].entries()) {
      const state = (await states.get(name))!.status!.currentState as { interfaces: { name: string; ipv4?: { dhcp?: boolean; address?: { ip: string }[] } }[]; routes: { running: { destination: string; "next-hop-address"?: string }[] } };
      const eth0 = state.interfaces.find((x) => x.name === "eth0")!;
      assert.equal(eth0.ipv4?.dhcp, true);
      assert.deepEqual(eth0.ipv4?.address?.map((a) => a.ip), [`192.0.2.${101 + i}`]);
      assert.ok(state.interfaces.some((x) => x.name === "eth1"));
      assert.ok(state.routes.running.some((r) => r.destination === "0.0.0.0/0" && r["next-hop-address"] === "192.0.2.1"));
    }
  });

  test("the handler serves Prometheus metrics and health endpoints inside its node", async () => {
    const { exec } = lab();
    const fetchIn = async (path: string) =>
      (await exec("node-1", [process.execPath, "-e", `fetch("http://127.0.0.1:9490${path}").then(async (r) => console.log(r.status, await r.text()))`])).stdout;
    assert.match(await fetchIn("/healthz"), /^200 ok/);
    assert.match(await fetchIn("/readyz"), /^200 ready/);
    const metrics = await fetchIn("/metrics");
    for (const name of ["nodenet_applies_total", "nodenet_rollbacks_total", "nodenet_probe_duration_seconds", "nodenet_drift_corrections_total", "nodenet_nns_writes_total"]) {
      assert.match(metrics, new RegExp(`# TYPE ${name} `), `${name} is exported`);
    }
    assert.match(metrics, /nodenet_nns_writes_total\{node="node-1"\} [1-9]/, "the start-up report was counted");
  });

  test("an idle lab writes no NodeNetworkState for a minute; a manual change shows up within seconds", { timeout: 180_000 }, async (t) => {
    const { kube, states, exec } = lab();
    const writes: string[] = [];
    const informer = new Informer(kube.config, resourceSource(states), (e) => {
      if (e.type === "updated") writes.push(`${e.object.metadata.name} ${new Date().toISOString()}`);
    });
    await informer.start();
    t.after(() => informer.stop());
    await new Promise((r) => setTimeout(r, 60_000));
    t.diagnostic(`NodeNetworkState writes by 3 idle nodes in 60 s: ${writes.length}`);
    assert.equal(writes.length, 0, `no writes while nothing changes: ${writes.join(", ")}`);

    const changed = Date.now();
    assert.equal((await exec("node-2", ["ip", "address", "add", "203.0.113.7/24", "dev", "eth1"])).code, 0);
    await eventually("node-2's NodeNetworkState to show 203.0.113.7 on eth1", 20_000, () => {
      const state = informer.get("node-2")?.status?.currentState as { interfaces: { name: string; ipv4?: { address?: { ip: string }[] } }[] } | undefined;
      return state?.interfaces.find((x) => x.name === "eth1")?.ipv4?.address?.some((a) => a.ip === "203.0.113.7") ? true : undefined;
    });
    const seconds = (Date.now() - changed) / 1000;
    t.diagnostic(`the manual change was reported after ${seconds.toFixed(1)} s`);
    assert.ok(seconds < 10, `reported within seconds (${seconds.toFixed(1)} s)`);
    assert.deepEqual(writes.map((w) => w.split(" ")[0]), ["node-2"], "only node-2 wrote, once");
  });
});
