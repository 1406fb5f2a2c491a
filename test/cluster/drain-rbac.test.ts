/**
 * deploy/rbac/drain.yaml on a real API server, with the identity a handler
 * really has: a nodenet-handler service-account token bound to its Node
 * (node-name claim). It may cordon its own node and set nodenet.io/
 * annotations there, and nothing else on any node; a token without the
 * claim may patch no node. And the drain's API calls (drain-kube.ts) as
 * that identity: cordon+marker in one write, a PodDisruptionBudget refusal
 * read with the budget's name, an eviction once the budget allows it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { createKube, loadKubeConfig, type Kube } from "../../src/cluster/kube/config.ts";
import { kubeDrainApi } from "../../src/cluster/handler/drain-kube.ts";
import { DRAIN_MARKER } from "../../src/cluster/handler/drain-pods.ts";
import { drainNode, uncordonNode } from "../../src/cluster/handler/drain.ts";
import { NodenetError } from "../../src/errors.ts";
import { eventually, handlerTokenKubeconfig, kubectl, suiteKube, unique } from "./helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;

describe("drain permissions: a handler cordons its own node and no other", () => {
  const admin: Kube = suiteKube();
  const mine = unique("drain-a");
  const other = unique("drain-b");
  const namespace = unique("drain");
  const dir = mkdtempSync(join(tmpdir(), "nodenet-drain-"));
  let handler = "";
  let unbound = "";

  // `kubectl cordon` exits 0 even when the API refuses (kubectl 1.3x): patch says no with its exit code.
  const cordon = (node: string, on = true) => ["patch", "node", node, "-p", JSON.stringify({ spec: { unschedulable: on ? true : null } })];

  before(async () => {
    for (const file of ["namespace.yaml", "rbac/handler.yaml", "rbac/drain.yaml"]) {
      const applied = await kubectl(["apply", "--server-side", "-f", join(DEPLOY, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const name of [mine, other]) await admin.core.createNode({ body: { metadata: { name, labels: { "nodenet.io/test": "drain" } } } });
    await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
    handler = await handlerTokenKubeconfig(admin, dir, "handler.kubeconfig", mine);
    unbound = await handlerTokenKubeconfig(admin, dir, "unbound.kubeconfig");
    // The policy takes effect once the API server has loaded it (and its binding); a dry run asks without cordoning.
    await eventually("the ValidatingAdmissionPolicy to refuse a foreign cordon", 30_000, async () => {
      const r = await kubectl([...cordon(other), "--dry-run=server"], { kubeconfig: handler });
      return r.code !== 0 && /may only cordon or uncordon the node it runs on/.test(r.stderr) ? true : undefined;
    });
  });

  after(async () => {
    await kubectl(["delete", "node", mine, other, "--ignore-not-found", "--wait=false"]);
    await kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("own node: cordon, uncordon and nodenet.io/ annotations; not labels, taints or other annotations", async () => {
    const whoami = await kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.extra.authentication\\.kubernetes\\.io/node-name[0]}"], { kubeconfig: handler });
    assert.equal(whoami.stdout, mine, "the bound token carries the node-name claim");
    const allowed = [cordon(mine), ["annotate", "node", mine, `${DRAIN_MARKER}=p@1`], ["annotate", "node", mine, `${DRAIN_MARKER}-`], cordon(mine, false)];
    for (const args of allowed) {
      const r = await kubectl(args, { kubeconfig: handler });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    const refused = [["label", "node", mine, "nodenet.io/role=x"], ["annotate", "node", mine, "example.com/x=1"], ["taint", "node", mine, "k=v:NoSchedule"]];
    for (const args of refused) {
      const r = await kubectl(args, { kubeconfig: handler });
      assert.notEqual(r.code, 0, `${args.join(" ")} must be refused`);
      assert.match(r.stderr, /may change only spec\.unschedulable and nodenet\.io\/ annotations/, args.join(" "));
    }
  });

  test("another node, or a token without a node: refused", async () => {
    const foreign = await kubectl(cordon(other), { kubeconfig: handler });
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr, /may only cordon or uncordon the node it runs on/);
    const noClaim = await kubectl(cordon(mine), { kubeconfig: unbound });
    assert.notEqual(noClaim.code, 0);
    assert.match(noClaim.stderr, /may only cordon or uncordon the node it runs on/);
    for (const node of [mine, other]) assert.notEqual((await admin.core.readNode({ name: node })).spec?.unschedulable, true);
  });

  test("the drain's calls as the handler: cordon with marker, a budget's refusal named, eviction once allowed, uncordon", { timeout: 90_000 }, async () => {
    const api = kubeDrainApi(createKube(loadKubeConfig({ kind: "file", path: handler })), "nodenet-handler");
    await assert.rejects(
      drainNode(api, other, { owner: "p@1", timeoutMs: 1_000 }),
      (e: unknown) => e instanceof NodenetError && e.kind === "backend-failed" && /draining .*: cordoning: HTTP 403/.test(e.message),
    );

    // A pod on `mine` (bound directly; no kubelet: its status is set by hand) and a budget that allows no disruption.
    await eventually("the namespace's default service account", 30_000, async () => (await admin.core.readNamespacedServiceAccount({ name: "default", namespace })) ? true : undefined);
    await admin.core.createNamespacedPod({
      namespace,
      body: { metadata: { name: "web-1", labels: { app: "web" } }, spec: { nodeName: mine, containers: [{ name: "web", image: "registry.k8s.io/pause:3.10" }] } },
    });
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await admin.core.patchNamespacedPodStatus(
      { name: "web-1", namespace, body: { status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: stamp }] } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    const budget = await kubectl(["apply", "-f", "-"], {
      input: `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web-pdb, namespace: ${namespace}}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n`,
    });
    assert.equal(budget.code, 0, budget.stderr);
    await eventually("the disruption controller to count the pod", 30_000, async () => {
      const pdb = await kubectl(["get", "pdb", "web-pdb", "-n", namespace, "-o", "jsonpath={.status.currentHealthy}/{.status.observedGeneration}"]);
      return pdb.stdout === "1/1" ? true : undefined;
    });

    const waits: string[] = [];
    const blocked = await drainNode(api, mine, { owner: "p@1", timeoutMs: 3_000, onWaiting: (m) => waits.push(m) });
    assert.equal(blocked.ok, false);
    assert.equal(waits[0], `waiting: evicting ${namespace}/web-1 would violate PodDisruptionBudget web-pdb (needs 1 healthy pods and has 1 currently)`);
    assert.match(!blocked.ok ? blocked.message : "", /^drain timed out after 3s: evicting .*\/web-1 would violate PodDisruptionBudget web-pdb/);
    const cordoned = await admin.core.readNode({ name: mine });
    assert.equal(cordoned.spec?.unschedulable, true);
    assert.equal(cordoned.metadata?.annotations?.[DRAIN_MARKER], "p@1");

    assert.equal((await kubectl(["patch", "pdb", "web-pdb", "-n", namespace, "--type=merge", "-p", '{"spec":{"minAvailable":0}}'])).code, 0);
    await eventually("the budget to allow a disruption", 30_000, async () => {
      const pdb = await kubectl(["get", "pdb", "web-pdb", "-n", namespace, "-o", "jsonpath={.status.disruptionsAllowed}"]);
      return pdb.stdout === "1" ? true : undefined;
    });
    // No kubelet confirms the deletion here: the drain sees the pod terminating and times out waiting for it.
    const evicting = await drainNode(api, mine, { owner: "p@1", timeoutMs: 3_000 });
    assert.deepEqual(evicting.evicted, [`${namespace}/web-1`]);
    assert.match(!evicting.ok ? evicting.message : "", /waiting for 1 evicted pod to terminate/);
    const pod = await admin.core.readNamespacedPod({ name: "web-1", namespace });
    assert.ok(pod.metadata?.deletionTimestamp, "evicted: deletion under way");

    assert.equal(await uncordonNode(api, mine), "p@1");
    const uncordoned = await admin.core.readNode({ name: mine });
    assert.equal(uncordoned.spec?.unschedulable, undefined, "the field removed, as kubectl uncordon leaves it");
    assert.equal(uncordoned.metadata?.annotations?.[DRAIN_MARKER], undefined);
    await admin.core.deleteNamespacedPod({ name: "web-1", namespace, gracePeriodSeconds: 0 });
  });
});
