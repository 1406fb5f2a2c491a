/** The ValidatingWebhookConfiguration the leader registers. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { configurationCurrent, endpointHost, SPEC_CHANGED, urlEndpoint, WEBHOOK_NAME, WEBHOOK_PATH, webhookConfiguration } from "./configuration.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

test("fails closed, with a short timeout, for CREATE and UPDATE of policies only, with the CA bundle injected", () => {
  const config = webhookConfiguration({ kind: "url", url: "https://127.0.0.1:9443/validate-nncp" }, CA);
  assert.equal((config.metadata as { name: string }).name, "nodenet");
  const [hook, ...others] = config.webhooks as Record<string, unknown>[];
  assert.equal(others.length, 0);
  assert.equal(hook!.name, WEBHOOK_NAME);
  assert.equal(hook!.failurePolicy, "Fail");
  assert.equal(hook!.timeoutSeconds, 5);
  assert.equal(hook!.sideEffects, "None", "so kubectl apply --dry-run=server is checked too");
  assert.deepEqual(hook!.admissionReviewVersions, ["v1"]);
  assert.deepEqual(hook!.rules, [{ apiGroups: ["nmstate.io"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["nodenetworkconfigurationpolicies"], scope: "Cluster" }]);
  assert.equal(hook!.matchPolicy, "Equivalent");
  assert.deepEqual(hook!.matchConditions, [{ name: "spec-changed", expression: SPEC_CHANGED }]);
  assert.deepEqual(hook!.clientConfig, { url: "https://127.0.0.1:9443/validate-nncp", caBundle: Buffer.from(CA).toString("base64") });
  assert.match(JSON.stringify(config.metadata), /kubectl delete validatingwebhookconfiguration nodenet/, "the escape hatch is written on the object");
});

test("in a cluster the API server goes through the Service, whose name the certificate must carry", () => {
  const endpoint = { kind: "service" as const, namespace: "nodenet", name: "nodenet-webhook", port: 443 };
  const hook = (webhookConfiguration(endpoint, CA, 7).webhooks as Record<string, unknown>[])[0]!;
  assert.deepEqual(hook.clientConfig, { service: { namespace: "nodenet", name: "nodenet-webhook", path: WEBHOOK_PATH, port: 443 }, caBundle: Buffer.from(CA).toString("base64") });
  assert.equal(hook.timeoutSeconds, 7);
  assert.equal(endpointHost(endpoint), "nodenet-webhook.nodenet.svc");
  assert.equal(endpointHost({ kind: "url", url: "https://127.0.0.1:9443/validate-nncp" }), "127.0.0.1");
  assert.equal(endpointHost({ kind: "url", url: "https://[::1]:9443/validate-nncp" }), "::1");
});

test("--webhook-failure-policy Ignore is registered as asked, and a live Fail is then out of date", () => {
  const endpoint = { kind: "url" as const, url: "https://127.0.0.1:9443/validate-nncp" };
  const ignore = webhookConfiguration(endpoint, CA, 5, "Ignore");
  assert.equal((ignore.webhooks as Record<string, unknown>[])[0]!.failurePolicy, "Ignore");
  assert.equal(configurationCurrent(webhookConfiguration(endpoint, CA), ignore), false, "the leader re-applies when the policy changed");
});

test("the live configuration is current when the fields we set match, whatever the API server added or reordered", () => {
  const desired = webhookConfiguration({ kind: "url", url: "https://127.0.0.1:9443/validate-nncp" }, CA);
  const hook = (desired.webhooks as Record<string, unknown>[])[0]!;
  const rule = (hook.rules as Record<string, unknown>[])[0]!;
  const live = {
    ...desired,
    metadata: { ...(desired.metadata as object), uid: "u", resourceVersion: "9" },
    webhooks: [{ ...hook, namespaceSelector: {}, objectSelector: {}, rules: [{ scope: rule.scope, resources: rule.resources, operations: rule.operations, apiVersions: rule.apiVersions, apiGroups: rule.apiGroups }] }],
  };
  assert.equal(configurationCurrent(live, desired), true);
  assert.equal(configurationCurrent(undefined, desired), false);
  assert.equal(configurationCurrent(webhookConfiguration({ kind: "url", url: "https://127.0.0.1:9444/validate-nncp" }, CA), desired), false, "another endpoint");
  assert.equal(configurationCurrent(webhookConfiguration({ kind: "url", url: "https://127.0.0.1:9443/validate-nncp" }, `${CA}x`), desired), false, "another CA");
  assert.equal(configurationCurrent({ ...live, webhooks: [{ ...hook, failurePolicy: "Ignore" }] }, desired), false, "someone set Ignore");
});

test("--webhook-url: an https base URL; the webhook's path is added", () => {
  assert.deepEqual(urlEndpoint("https://127.0.0.1:9443"), { kind: "url", url: "https://127.0.0.1:9443/validate-nncp" });
  assert.deepEqual(urlEndpoint("https://127.0.0.1:9443/other?x=1"), { kind: "url", url: "https://127.0.0.1:9443/validate-nncp" });
  assert.throws(() => urlEndpoint("http://127.0.0.1:9443"), /must be https/);
  assert.throws(() => urlEndpoint("not a url"), /is not a URL/);
});
