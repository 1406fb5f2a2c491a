/**
 * `helm install` of deploy/chart against a real kube-apiserver (a control
 * plane of this file's own: the chart owns cluster-scoped objects the
 * suite's lab already has). Server-side only: what is created, upgraded and
 * removed. Pods running on real kubelets are the nodes suite's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { eventually, ownLab, run } from "./helpers.ts";
import { tool } from "../helpers/tools.ts";
import { byKey, type Manifest } from "../helpers/manifests.ts";
import { CHART, helm, template } from "../helpers/deploy.ts";
import { applyWebhookConfiguration, webhookConfiguration } from "../../src/cluster/admission/configuration.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("helm install / upgrade / uninstall against a real API server", () => {
  const lab = ownLab("helm");
  const kubeconfig = () => lab().state.controlPlane!.kubeconfigs.admin;
  const kubectl = async (args: string[]) => run(await tool("kubectl"), ["--kubeconfig", kubeconfig(), ...args]);
  const h = (args: string[]) => helm(args, { kubeconfig: kubeconfig() });
  const install = ["upgrade", "--install", "nodenet", CHART, "--namespace", "nodenet", "--create-namespace", "--wait=hookOnly"];
  /** kind/name of each object the chart renders with these values, as kubectl names them. */
  const refs = async (set: Record<string, string> = {}, extra: string[] = []) => {
    const r = await template(set, extra);
    assert.equal(r.code, 0, r.stderr);
    return [...byKey(r.stdout).values()].map((o: Manifest) => ({ ref: `${o.kind!.toLowerCase()}.${o.apiVersion!.includes("/") ? o.apiVersion!.split("/")[0] : ""}/${o.metadata!.name}`.replace("./", "/"), namespace: o.metadata!.namespace, kind: o.kind! }));
  };
  const exists = async (ref: string, namespace?: string) => (await kubectl(["get", ref, ...(namespace ? ["-n", namespace] : []), "-o", "name"])).code === 0;

  test("a ServiceMonitor asked for on a cluster without its CRD: refused, saying so, and no release", async () => {
    // The lab installed the nmstate.io CRDs itself: the chart installs them, so start without.
    const gone = await kubectl(["delete", "crd", "nodenetworkconfigurationpolicies.nmstate.io", "nodenetworkconfigurationenactments.nmstate.io", "nodenetworkstates.nmstate.io"]);
    assert.equal(gone.code, 0, gone.stderr);
    const r = await h([...install, "--set", "metrics.serviceMonitor.enabled=true"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /metrics\.serviceMonitor\.enabled: this cluster has no ServiceMonitor CRD/);
    assert.equal((await h(["list", "--all", "--namespace", "nodenet", "-q"])).stdout.trim(), "");
    assert.equal(await exists("crd/nodenetworkconfigurationpolicies.nmstate.io"), false, "nothing was created");
  });

  test("helm install creates every object the chart renders: CRDs established, RBAC and admission policies in force", async () => {
    const r = await h(install);
    assert.equal(r.code, 0, r.stderr);
    const missing: string[] = [];
    for (const { ref, namespace } of await refs()) if (!(await exists(ref, namespace))) missing.push(ref);
    assert.deepEqual(missing, []);
    const established = await kubectl(["wait", "--for=condition=Established", "--timeout=30s", "crd/nodenetworkconfigurationpolicies.nmstate.io", "crd/nodenetworkconfigurationenactments.nmstate.io", "crd/nodenetworkstates.nmstate.io"]);
    assert.equal(established.code, 0, established.stderr);
    const can = async (who: string, ...args: string[]) => (await kubectl(["auth", "can-i", ...args, `--as=system:serviceaccount:nodenet:${who}`])).stdout.trim();
    assert.equal(await can("nodenet-handler", "create", "nodenetworkstates.nmstate.io"), "yes");
    assert.equal(await can("nodenet-handler", "delete", "nodenetworkconfigurationpolicies.nmstate.io"), "no");
    assert.equal(await can("nodenet-controller", "patch", "validatingwebhookconfigurations/nodenet"), "yes");
    // The admission policies are in force: RBAC lets the handler create a
    // NodeNetworkState, its policy refuses one of another node's.
    const nns = JSON.stringify({ apiVersion: "nmstate.io/v1beta1", kind: "NodeNetworkState", metadata: { name: "node-x" } });
    const asHandlerOf = (node: string) => ["--as=system:serviceaccount:nodenet:nodenet-handler", `--as-user-extra=authentication.kubernetes.io/node-name=${node}`];
    const refused = await run(await tool("kubectl"), ["--kubeconfig", kubeconfig(), "create", "-f", "-", ...asHandlerOf("node-y")], { input: nns });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /nodenet-handler-node-state.*may write only NodeNetworkState node-y, not node-x/);
    const ns = await kubectl(["get", "namespace", "nodenet", "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"]);
    assert.equal(ns.stdout, "privileged", "the chart's Namespace (with its label) is applied over the one --create-namespace made");
  });

  test("helm upgrade with changed values changes the workloads, and leaves the webhook the controller registered", async () => {
    // What the controller's leader does once it runs: fill the placeholder configuration.
    await applyWebhookConfiguration(lab().kube, webhookConfiguration({ kind: "service", namespace: "nodenet", name: "nodenet-webhook", port: 443 }, CA));
    const r = await h([...install, "--reuse-values", "--set", "webhook.failurePolicy=Ignore", "--set", "handler.probeTimeoutSeconds=45", "--set", "image.tag=0.1.1"]);
    assert.equal(r.code, 0, r.stderr);
    const args = async (kind: string) => JSON.parse((await kubectl(["-n", "nodenet", "get", kind, "-o", "jsonpath={.spec.template.spec.containers[0].args}"])).stdout) as string[];
    assert.ok((await args("deployment/nodenet-controller")).includes("--webhook-failure-policy=Ignore"));
    const handlerArgs = await args("daemonset/nodenet-handler");
    assert.equal(handlerArgs[handlerArgs.indexOf("--probe-timeout") + 1], "45");
    const image = await kubectl(["-n", "nodenet", "get", "daemonset/nodenet-handler", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
    assert.equal(image.stdout, "nodenet:0.1.1");
    const status = await h(["status", "nodenet", "--namespace", "nodenet", "-o", "json"]);
    assert.equal((JSON.parse(status.stdout) as { version: number }).version, 2);
    const hooks = await kubectl(["get", "validatingwebhookconfiguration", "nodenet", "-o", "jsonpath={.webhooks[*].name}"]);
    assert.equal(hooks.stdout, "validate.nncp.nodenet.io", "helm upgrade did not take the controller's webhook back");
  });

  test("helm upgrade turns the ServiceMonitor on once its CRD exists", async () => {
    const crd = await kubectl(["apply", "--server-side", "-f", join(FIXTURES, "servicemonitor-crd.yaml")]);
    assert.equal(crd.code, 0, crd.stderr);
    await kubectl(["wait", "--for=condition=Established", "--timeout=30s", "crd/servicemonitors.monitoring.coreos.com"]);
    // Helm reads the API's discovery: a CRD established a moment ago is seen once discovery refreshes.
    await eventually("helm upgrade with the ServiceMonitor", 30_000, async () => {
      const r = await h([...install, "--reuse-values", "--set", "metrics.serviceMonitor.enabled=true"]);
      return r.code === 0 ? r : undefined;
    });
    assert.ok(await exists("servicemonitor.monitoring.coreos.com/nodenet-handler", "nodenet"));
    assert.ok(await exists("service/nodenet-handler-metrics", "nodenet"));
  });

  test("helm uninstall removes everything it created but the Namespace and the CRDs it was told to keep; a new install adopts them", async () => {
    const created = await refs({ "metrics.serviceMonitor.enabled": "true" }, ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"]);
    const r = await h(["uninstall", "nodenet", "--namespace", "nodenet", "--wait"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /kept due to the resource policy/);
    const kept = new Set(["CustomResourceDefinition", "Namespace"]);
    const left: string[] = [];
    for (const { ref, namespace, kind } of created) if (!kept.has(kind) && (await exists(ref, namespace))) left.push(ref);
    assert.deepEqual(left, []);
    assert.equal(await exists("validatingwebhookconfiguration/nodenet"), false, "no configuration left to refuse policies");
    for (const { ref, kind } of created) if (kept.has(kind)) assert.ok(await exists(ref), `${ref} kept`);
    assert.equal((await h(["list", "--all", "--namespace", "nodenet", "-q"])).stdout.trim(), "", "the release record is gone");
    const again = await h(install);
    assert.equal(again.code, 0, again.stderr);
    const last = await h(["uninstall", "nodenet", "--namespace", "nodenet", "--wait"]);
    assert.equal(last.code, 0, last.stderr);
  });
});
