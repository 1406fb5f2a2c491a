/**
 * The ValidatingWebhookConfiguration that sends policy CREATE and UPDATE
 * requests to the controller, with the CA bundle injected. Built here (pure)
 * and server-side applied by the controller's leader (webhook.ts); see
 * docs/adr/0005-admission-webhook-down.md for failurePolicy and timeouts.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { NodenetError } from "../../errors.ts";
import type { Kube } from "../kube/config.ts";
import { serverSideApply } from "../kube/apply.ts";
import { isNotFound } from "../kube/errors.ts";
import { GROUP, POLICY } from "../api/resources.ts";
import { deepEqual } from "../../state/objects.ts";
import type { FailurePolicy } from "./failure-policy.ts";

/** The object's name; RBAC lets the controller touch this one only. */
export const WEBHOOK_CONFIGURATION = "nodenet";
/** The name the API server quotes in its errors: `admission webhook "validate.nncp.nodenet.io" denied the request: …`. */
export const WEBHOOK_NAME = "validate.nncp.nodenet.io";
export const WEBHOOK_PATH = "/validate-nncp";
/** Short: kubectl waits this long at most, and a policy is refused when the check takes longer. */
export const DEFAULT_TIMEOUT_SECONDS = 5;
export const FIELD_MANAGER = "nodenet-controller";

/** Where the API server reaches the webhook: a URL (the lab: https://127.0.0.1:PORT/…) or a Service (a cluster). */
export type WebhookEndpoint = { kind: "url"; url: string } | { kind: "service"; namespace: string; name: string; port: number };

/** `--webhook-url`: an https base URL (the lab: https://127.0.0.1:PORT); any path is replaced by the webhook's. */
export function urlEndpoint(base: string): WebhookEndpoint {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new NodenetError("invalid-input", `--webhook-url: "${base}" is not a URL`);
  }
  // The API server calls webhooks over TLS only.
  if (url.protocol !== "https:") throw new NodenetError("invalid-input", `--webhook-url must be https://…, not ${url.protocol}`);
  url.pathname = WEBHOOK_PATH;
  url.search = "";
  url.hash = "";
  return { kind: "url", url: url.toString() };
}

/** The host the API server connects to: what the serving certificate must name. */
export function endpointHost(endpoint: WebhookEndpoint): string {
  if (endpoint.kind === "service") return `${endpoint.name}.${endpoint.namespace}.svc`;
  return new URL(endpoint.url).hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Only a CREATE or a change of spec is worth a call: updates of metadata
 * (labels, the revert-on-delete finalizer being removed from a policy being
 * deleted) never wait on the webhook, nor fail when it is down.
 */
export const SPEC_CHANGED = "request.operation != 'UPDATE' || !has(object.spec) || !has(oldObject.spec) || object.spec != oldObject.spec";

export const DOWN_ANNOTATION = "nodenet.io/when-the-webhook-is-down";
const DOWN_TEXT =
  "Policies cannot be created or changed while no controller answers (failurePolicy: Fail): start the controller (kubectl -n nodenet get pods), " +
  "or, to let policies through unchecked, delete this object (kubectl delete validatingwebhookconfiguration nodenet); the controller's leader registers it again when it runs. " +
  "To turn admission off for good, run the controllers with --webhook-port 0, then delete this object. See docs/adr/0005-admission-webhook-down.md.";

export function webhookConfiguration(
  endpoint: WebhookEndpoint,
  caBundle: string,
  timeoutSeconds = DEFAULT_TIMEOUT_SECONDS,
  failurePolicy: FailurePolicy = "Fail",
): KubernetesObject & Record<string, unknown> {
  const clientConfig =
    endpoint.kind === "url"
      ? { url: endpoint.url }
      : { service: { namespace: endpoint.namespace, name: endpoint.name, path: WEBHOOK_PATH, port: endpoint.port } };
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: {
      name: WEBHOOK_CONFIGURATION,
      labels: { "app.kubernetes.io/part-of": "nodenet", "app.kubernetes.io/component": "controller" },
      annotations: { [DOWN_ANNOTATION]: DOWN_TEXT },
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ["v1"],
        clientConfig: { ...clientConfig, caBundle: Buffer.from(caBundle, "utf8").toString("base64") },
        rules: [{ apiGroups: [GROUP], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: [POLICY.plural], scope: "Cluster" }],
        // v1beta1 requests are converted to v1 and sent here too.
        matchPolicy: "Equivalent",
        matchConditions: [{ name: "spec-changed", expression: SPEC_CHANGED }],
        failurePolicy,
        sideEffects: "None",
        timeoutSeconds,
      },
    ],
  };
}

export async function applyWebhookConfiguration(kube: Kube, configuration: KubernetesObject): Promise<void> {
  await serverSideApply(kube, configuration, { fieldManager: FIELD_MANAGER, force: true });
}

const ref = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: WEBHOOK_CONFIGURATION } };

export async function readWebhookConfiguration(kube: Kube): Promise<Record<string, unknown> | undefined> {
  try {
    return (await kube.objects.send(ref, { method: "GET", action: "read" })) as Record<string, unknown>;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Deletes the configuration; true if it existed. */
export async function deleteWebhookConfiguration(kube: Kube): Promise<boolean> {
  try {
    await kube.objects.send(ref, { method: "DELETE", action: "delete" });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Whether the live configuration's webhook is the one we would apply (endpoint, CA bundle, policy, rules). */
export function configurationCurrent(live: Record<string, unknown> | undefined, desired: Record<string, unknown>): boolean {
  const pick = (o: Record<string, unknown> | undefined) => {
    const hook = ((o?.webhooks ?? []) as Record<string, unknown>[]).find((w) => w.name === WEBHOOK_NAME);
    if (!hook) return undefined;
    const client = (hook.clientConfig ?? {}) as Record<string, unknown>;
    const service = client.service as Record<string, unknown> | undefined;
    return [client.url, service?.namespace, service?.name, service?.path, service?.port, client.caBundle, hook.failurePolicy, hook.timeoutSeconds, hook.rules, hook.matchConditions];
  };
  const want = pick(desired);
  return want !== undefined && deepEqual(pick(live), want);
}
