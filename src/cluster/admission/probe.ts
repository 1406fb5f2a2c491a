/**
 * Whether the API server reaches the webhook and the webhook answers: a
 * server-side dry run of a policy that only the webhook refuses (an unknown
 * key in its desiredState; it selects no node). Nothing is stored.
 *
 *   answering        the webhook refused it, as it should
 *   not-registered   the API server accepted it: no webhook is configured
 *   failing          the API server could not call the webhook (down, TLS, timeout)
 */
import type { Kube } from "../kube/config.ts";
import { apiStatus, describeApiError } from "../kube/errors.ts";
import { policyClient } from "../kube/resources.ts";
import { WEBHOOK_NAME } from "./configuration.ts";

export type WebhookProbe = { state: "answering" } | { state: "not-registered" } | { state: "failing"; detail: string };

export const PROBE_POLICY = "nodenet-webhook-probe";

export async function probeWebhook(kube: Kube): Promise<WebhookProbe> {
  try {
    await policyClient(kube).create(
      { metadata: { name: PROBE_POLICY }, spec: { nodeSelector: { "nodenet.io/webhook-probe": "none" }, desiredState: { "webhook-probe": true } } },
      { dryRun: true },
    );
    return { state: "not-registered" };
  } catch (error) {
    const status = apiStatus(error);
    // The API server says who refused (its fixed wording for webhook denials); the CRD itself accepts this object.
    if (status?.code === 422 && status.message?.startsWith(`admission webhook "${WEBHOOK_NAME}" denied the request`)) return { state: "answering" };
    return { state: "failing", detail: describeApiError(error) };
  }
}
