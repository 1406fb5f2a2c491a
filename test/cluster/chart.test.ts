/**
 * deploy/chart: one source with deploy/ (`helm template` with default values
 * renders deploy/'s objects, differing only by Helm's labels and the CRDs'
 * keep annotation), `helm lint` clean, and each value doing what
 * values.yaml and the chart's README say. Rendering only; the install
 * against a real API server is helm-install.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { byKey, containersOf, differences, type Manifest } from "../helpers/manifests.ts";
import { CHART, deployManifests, helm, template, VERSION } from "../helpers/deploy.ts";

/** What Helm adds to every object's metadata.labels (templates/_helpers.tpl). */
const HELM_LABELS = {
  "helm.sh/chart": `nodenet-${VERSION}`,
  "app.kubernetes.io/managed-by": "Helm",
  "app.kubernetes.io/instance": "nodenet",
  "app.kubernetes.io/version": VERSION,
};

async function rendered(set: Record<string, string> = {}, extra: string[] = []): Promise<Map<string, Manifest>> {
  const r = await template(set, extra);
  assert.equal(r.code, 0, r.stderr);
  return byKey(r.stdout);
}

const get = (objects: Map<string, Manifest>, key: string): Manifest => {
  const o = objects.get(key);
  assert.ok(o, `${key} is rendered`);
  return o;
};
const podSpec = (o: Manifest) => ((o.spec as Record<string, Record<string, unknown>>).template!.spec as Record<string, unknown>);
const HANDLER = "DaemonSet/nodenet/nodenet-handler";
const CONTROLLER = "Deployment/nodenet/nodenet-controller";
const containerNamed = (o: Manifest, name: string) => containersOf(o).find((c) => c.name === name)!;

describe("deploy/chart", () => {
  test("Chart.yaml's version and appVersion are the project's (package.json)", () => {
    const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as { version: string; appVersion: string };
    assert.equal(chart.version, VERSION);
    assert.equal(chart.appVersion, VERSION);
  });

  test("helm lint --strict: no warning, no error", async () => {
    const r = await helm(["lint", "--strict", "--namespace", "nodenet", CHART]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
  });

  test("default values render deploy/ exactly, plus Helm's labels on each object and keep on the CRDs and the Namespace", async () => {
    const files = byKey(deployManifests());
    const chart = await rendered();
    assert.deepEqual([...chart.keys()].sort(), [...files.keys()].sort(), "the same objects as deploy/kustomization.yaml's files");
    const unexpected: string[] = [];
    for (const [key, object] of files) {
      const expected = structuredClone(object);
      expected.metadata!.labels = { ...expected.metadata!.labels, ...HELM_LABELS };
      if (object.kind === "CustomResourceDefinition" || object.kind === "Namespace") expected.metadata!.annotations = { ...expected.metadata!.annotations, "helm.sh/resource-policy": "keep" };
      unexpected.push(...differences(expected, chart.get(key)).map((d) => `${key} ${d}`));
    }
    assert.deepEqual(unexpected, [], "deploy/ and the chart drifted apart (deploy/chart/README.md, One source)");
  });

  test("the CRDs are deploy/crds's, whatever the generator last wrote (files/crds links there)", async () => {
    const crds = [...(await rendered()).values()].filter((o) => o.kind === "CustomResourceDefinition");
    assert.equal(crds.length, 3);
    const noCrds = await rendered({ "crds.install": "false" });
    assert.equal([...noCrds.values()].filter((o) => o.kind === "CustomResourceDefinition").length, 0, "crds.install=false leaves them out");
    const notKept = await rendered({ "crds.keep": "false" });
    for (const o of notKept.values()) if (o.kind !== "Namespace") assert.equal(o.metadata?.annotations?.["helm.sh/resource-policy"], undefined, `${o.kind} ${o.metadata?.name}`);
  });

  test("image, pull policy and pull secrets reach all three containers", async () => {
    const objects = await rendered({ "image.repository": "registry.example.com/nodenet", "image.tag": "1.2.3", "image.pullPolicy": "Always", "imagePullSecrets[0].name": "regcred" });
    const containers = [get(objects, HANDLER), get(objects, CONTROLLER)].flatMap(containersOf);
    assert.deepEqual(containers.map((c) => c.name).sort(), ["controller", "handler", "install-boot"]);
    for (const c of containers) {
      assert.equal(c.image, "registry.example.com/nodenet:1.2.3", String(c.name));
      assert.equal(c.imagePullPolicy, "Always", String(c.name));
    }
    for (const key of [HANDLER, CONTROLLER]) assert.deepEqual(podSpec(get(objects, key)).imagePullSecrets, [{ name: "regcred" }], key);
    const defaults = await rendered();
    for (const c of [get(defaults, HANDLER), get(defaults, CONTROLLER)].flatMap(containersOf)) assert.equal(c.image, `nodenet:${VERSION}`, "tag defaults to appVersion");
  });

  test("tolerations, node selectors, affinity, resources and pod labels of handler and controller", async () => {
    const objects = await rendered({}, [
      "--set-json", 'handler.tolerations=[{"key":"storage","operator":"Exists","effect":"NoSchedule"}]',
      "--set-json", 'controller.tolerations=[{"key":"infra","operator":"Equal","value":"yes"}]',
      "--set-string", "handler.nodeSelector.nodenet\\.io/managed=true",
      "--set", "controller.nodeSelector.node-role\\.kubernetes\\.io/control-plane=",
      "--set", "handler.resources.limits.memory=1Gi",
      "--set", "controller.replicas=3",
      "--set", "handler.podLabels.team=net",
      "--set-json", "controller.affinity=null",
    ]);
    const handler = podSpec(get(objects, HANDLER));
    const controller = podSpec(get(objects, CONTROLLER));
    assert.deepEqual(handler.tolerations, [{ key: "storage", operator: "Exists", effect: "NoSchedule" }]);
    assert.deepEqual(controller.tolerations, [{ key: "infra", operator: "Equal", value: "yes" }]);
    assert.deepEqual(handler.nodeSelector, { "nodenet.io/managed": "true" });
    assert.deepEqual(controller.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
    assert.equal(controller.affinity, undefined);
    assert.deepEqual((containerNamed(get(objects, HANDLER), "handler").resources as Record<string, unknown>).limits, { memory: "1Gi" });
    assert.equal((get(objects, CONTROLLER).spec as Record<string, unknown>).replicas, 3);
    const template = (get(objects, HANDLER).spec as { template: { metadata: { labels: Record<string, string> } } }).template;
    assert.equal(template.metadata.labels.team, "net");
    assert.equal(template.metadata.labels["app.kubernetes.io/name"], "nodenet-handler", "the selector's label stays");
  });

  test("probe defaults: nodenet's connectivity probe timeout and the Kubernetes probes", async () => {
    const objects = await rendered({ "handler.probeTimeoutSeconds": "45", "handler.livenessProbe.periodSeconds": "60", "controller.readinessProbe.periodSeconds": "2" });
    const args = containerNamed(get(objects, HANDLER), "handler").args as string[];
    assert.equal(args[args.indexOf("--probe-timeout") + 1], "45");
    assert.equal((containerNamed(get(objects, HANDLER), "handler").livenessProbe as Record<string, unknown>).periodSeconds, 60);
    assert.equal((containerNamed(get(objects, CONTROLLER), "controller").readinessProbe as Record<string, unknown>).periodSeconds, 2);
  });

  test("webhook failurePolicy and timeout become the controller's flags", async () => {
    const objects = await rendered({ "webhook.failurePolicy": "Ignore", "webhook.timeoutSeconds": "10", "controller.extraArgs[0]": "--webhook-max-nodes=50" });
    const args = containerNamed(get(objects, CONTROLLER), "controller").args as string[];
    assert.ok(args.includes("--webhook-failure-policy=Ignore"), args.join(" "));
    assert.ok(args.includes("--webhook-timeout=10"), args.join(" "));
    assert.equal(args.at(-1), "--webhook-max-nodes=50");
  });

  test("extraEnv is added to the handler's and the controller's environment, after deploy/'s", async () => {
    const objects = await rendered({}, ["--set-json", 'handler.extraEnv=[{"name":"KUBERNETES_SERVICE_HOST","value":"192.0.2.1"}]', "--set-json", 'controller.extraEnv=[{"name":"HTTPS_PROXY","value":"http://proxy:3128"}]']);
    const env = (o: Manifest, name: string) => (containerNamed(o, name).env as { name: string; value?: string }[]).map((e) => e.name);
    assert.deepEqual(env(get(objects, HANDLER), "handler"), ["NODE_NAME", "POD_NAME", "POD_NAMESPACE", "KUBERNETES_SERVICE_HOST"]);
    assert.deepEqual(env(get(objects, CONTROLLER), "controller").at(-1), "HTTPS_PROXY");
  });

  test("logLevel reaches the handler and the controller", async () => {
    const objects = await rendered({ logLevel: "debug" });
    const handler = containerNamed(get(objects, HANDLER), "handler").args as string[];
    assert.equal(handler[handler.indexOf("--log-level") + 1], "debug");
    assert.ok((containerNamed(get(objects, CONTROLLER), "controller").args as string[]).includes("--log-level=debug"));
    const r = await template({ logLevel: "chatty" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/logLevel/);
  });

  test("handler.installBoot=false: no init container and no /opt mount", async () => {
    const handler = podSpec(get(await rendered({ "handler.installBoot": "false" }), HANDLER));
    assert.equal(handler.initContainers, undefined);
    assert.ok(!(handler.volumes as { name: string }[]).some((v) => v.name === "host-opt"));
  });

  test("metrics.serviceMonitor: off by default; when on, it needs the ServiceMonitor CRD and scrapes the handlers", async () => {
    assert.ok(![...(await rendered()).values()].some((o) => o.kind === "ServiceMonitor"));
    const refused = await template({ "metrics.serviceMonitor.enabled": "true" });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /metrics\.serviceMonitor\.enabled: this cluster has no ServiceMonitor CRD/);
    const objects = await rendered({ "metrics.serviceMonitor.enabled": "true", "metrics.serviceMonitor.labels.release": "prometheus" }, ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"]);
    const monitor = get(objects, "ServiceMonitor/nodenet/nodenet-handler");
    assert.equal(monitor.metadata?.labels?.release, "prometheus");
    const service = get(objects, "Service/nodenet/nodenet-handler-metrics");
    const spec = service.spec as { selector: Record<string, string>; ports: { port: number }[] };
    assert.deepEqual(spec.selector, { "app.kubernetes.io/name": "nodenet-handler" });
    assert.equal(spec.ports[0]!.port, 9490);
    const selector = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    for (const [k, v] of Object.entries(selector)) assert.equal(service.metadata?.labels?.[k], v, `the ServiceMonitor selects the Service by ${k}`);
  });

  test("bad values are refused naming the value, and nothing renders", async () => {
    const cases: [string[], RegExp][] = [
      [["--set", "webhook.failurePolicy=Sometimes"], /webhook\/failurePolicy.*Fail.*Ignore/],
      [["--set", "image.pullPolicy=Sometimes"], /image\/pullPolicy/],
      [["--set", "handler.tolerationz[0].operator=Exists"], /handler.*tolerationz.*not allowed/],
      [["--set", "webhook.timeoutSeconds=60"], /webhook\/timeoutSeconds/],
      [["--set", "metrics.serviceMonitor.interval=often"], /serviceMonitor\/interval/],
    ];
    for (const [args, message] of cases) {
      const r = await template({}, args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stdout.trim(), "", args.join(" "));
    }
    const otherNamespace = await helm(["template", "nodenet", CHART, "--namespace", "kube-system"]);
    assert.notEqual(otherNamespace.code, 0);
    assert.match(otherNamespace.stderr, /namespace nodenet only.*not "kube-system"/);
  });

  test("every value is commented in values.yaml and listed in the chart's README", () => {
    const text = readFileSync(join(CHART, "values.yaml"), "utf8");
    const readme = readFileSync(join(CHART, "README.md"), "utf8");
    const leaves: string[] = [];
    const walk = (value: unknown, path: string, depth: number) => {
      // Maps with free-form keys (resources, probes, affinity, labels) are one value each.
      if (value && typeof value === "object" && !Array.isArray(value) && depth < 3 && !/(resources|Probe|affinity|nodeSelector|Labels|Annotations|labels)$/.test(path)) {
        for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, depth + 1);
      } else leaves.push(path);
    };
    walk(parse(text), "", 0);
    assert.ok(leaves.length > 30, `found ${leaves.length} values`);
    const lines = text.split("\n");
    // The line of a value: each key of its path searched from its parent's line on, at two more spaces.
    const lineOf = (path: string) =>
      path.split(".").reduce((from, key, depth) => (from < 0 ? from : lines.findIndex((l, i) => i >= from && l.startsWith(`${" ".repeat(depth * 2)}${key}:`))), 0);
    const uncommented = leaves.filter((path) => {
      const i = lineOf(path);
      return i <= 0 || !/^\s*#/.test(lines[i - 1]!);
    });
    assert.deepEqual(uncommented, [], "each value has a comment line above it in values.yaml");
    assert.deepEqual(leaves.filter((p) => !readme.includes(`\`${p}\``)), [], "each value is in deploy/chart/README.md");
  });
});
