/**
 * The informer on a control plane of its own: it survives the API server
 * being killed and restarted (every change made after the restart arrives),
 * and its watchdog recovers from a watch that goes silent without closing
 * (simulated by a TCP relay that freezes its open connections).
 */
import assert from "node:assert/strict";
import { createServer, connect as tcpConnect, type Server, type Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "../../src/cluster/kube/config.ts";
import { Informer, resourceSource, type InformerEvent } from "../../src/cluster/kube/informer.ts";
import { policyClient } from "../../src/cluster/kube/resources.ts";
import type { Policy } from "../../src/cluster/api/policy.ts";
import { killComponent, startComponent } from "../../src/lab/controlplane/controlplane.ts";
import { renderKubeconfig } from "../../src/lab/controlplane/kubeconfig.ts";
import { writeLabState } from "../../src/lab/state.ts";
import { eventually, ownLab } from "./helpers.ts";

/** Names → resourceVersion, from the informer's cache or the server. */
const versions = (items: Policy[]) => Object.fromEntries(items.map((p) => [p.metadata.name, p.metadata.resourceVersion]).sort());

describe("informer", () => {
  const lab = ownLab("informer");

  test("survives the API server killed and restarted: no change after the restart is missed", async () => {
    const { kube, state } = lab();
    const cp = state.controlPlane!;
    const policies = policyClient(kube);
    const events: InformerEvent<Policy>[] = [];
    const informer = new Informer(kube.config, resourceSource(policies), (e) => events.push(e), { watchdogMs: 20_000, backoff: { initialMs: 100, maxMs: 1_000 } });
    after(() => informer.stop());
    for (const name of ["p1", "p2", "p3"]) await policies.create({ metadata: { name }, spec: { desiredState: {} } });
    await informer.start();
    await eventually("the three policies in the cache", 10_000, () => (informer.list().length === 3 ? true : undefined));

    const t0 = Date.now();
    await killComponent(cp, "kube-apiserver");
    await new Promise((r) => setTimeout(r, 1_000));
    await startComponent(cp, "kube-apiserver", { onChange: (c) => writeLabState({ ...state, controlPlane: c }) });
    process.stdout.write(`# API server killed and back after ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);

    const changed = Date.now();
    await policies.create({ metadata: { name: "p4" }, spec: { desiredState: {} } });
    await policies.mergePatch("p1", { spec: { maxUnavailable: 1 } });
    await policies.delete("p2");
    for (let i = 2; i <= 5; i++) await policies.mergePatch("p3", { spec: { maxUnavailable: i } });

    const server = await policies.list();
    await eventually("the cache to equal the server", 30_000, () => (JSON.stringify(versions(informer.list())) === JSON.stringify(versions(server.items)) ? true : undefined));
    process.stdout.write(`# caught up ${((Date.now() - changed) / 1000).toFixed(1)}s after the changes; stats ${JSON.stringify(informer.stats)}\n`);
    assert.equal(informer.get("p1")?.spec?.maxUnavailable, 1);
    assert.equal(informer.get("p3")?.spec?.maxUnavailable, 5);
    assert.equal(informer.get("p2"), undefined);
    assert.ok(events.some((e) => e.type === "added" && e.object.metadata.name === "p4"));
    assert.ok(events.some((e) => e.type === "deleted" && e.object.metadata.name === "p2"));
    assert.ok(events.some((e) => e.type === "updated" && e.object.metadata.name === "p1" && e.object.spec?.maxUnavailable === 1));
    assert.ok(informer.stats.errors + informer.stats.expired > 0, "the outage was noticed");
  });

  describe("a watch that goes silent", () => {
    let relay: Server;
    const frozen = new Set<Socket>();
    const sockets = new Set<Socket>();
    before(async () => {
      const { state } = lab();
      const cp = state.controlPlane!;
      relay = createServer((client) => {
        const upstream = tcpConnect(cp.ports.apiServer, "127.0.0.1");
        sockets.add(client);
        sockets.add(upstream);
        const pipe = (from: Socket, to: Socket) =>
          from.on("data", (chunk: Buffer) => {
            // A frozen connection stays open and says nothing, in both directions.
            if (!frozen.has(from)) to.write(chunk);
          });
        pipe(client, upstream);
        pipe(upstream, client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", close).on("close", close);
        upstream.on("error", close).on("close", close);
      });
      await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    });

    test("the watchdog restarts it and the change arrives", async () => {
      const { state } = lab();
      const cp = state.controlPlane!;
      const port = (relay.address() as { port: number }).port;
      const kubeconfig = join(cp.dir, "relay.kubeconfig");
      writeFileSync(kubeconfig, renderKubeconfig({ clusterName: "relay", server: `https://127.0.0.1:${port}`, caCert: cp.pki.caCert, user: "admin", credentials: cp.admin }));
      const viaRelay = connect(kubeconfig);
      const policies = policyClient(lab().kube);
      const informer = new Informer(viaRelay.config, resourceSource(policyClient(viaRelay)), () => undefined, { watchdogMs: 3_000, backoff: { initialMs: 100, maxMs: 1_000 } });
      after(() => informer.stop());
      await informer.start();
      await policies.create({ metadata: { name: "silent" }, spec: { desiredState: {} } });
      await eventually("silent in the cache", 10_000, () => informer.get("silent"));

      // Freeze every open connection (new ones still work): only a watchdog notices.
      for (const socket of sockets) frozen.add(socket);
      const before = informer.stats.watchdogRestarts;
      await policies.mergePatch("silent", { spec: { maxUnavailable: 7 } });
      const t0 = Date.now();
      await eventually("the change through a restarted watch", 15_000, () => (informer.get("silent")?.spec?.maxUnavailable === 7 ? true : undefined));
      process.stdout.write(`# silent watch: change seen after ${((Date.now() - t0) / 1000).toFixed(1)}s; watchdog restarts ${informer.stats.watchdogRestarts - before}\n`);
      assert.ok(informer.stats.watchdogRestarts > before);
    });
  });
});
