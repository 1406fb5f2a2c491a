/**
 * The webhook's CA and serving certificate, kept in a Secret in the
 * controller's namespace so that every replica serves the same certificate
 * and a restart keeps it (the CA bundle in the webhook configuration stays
 * valid).
 *
 * Guarantees: `ensureWebhookTls` returns a serving certificate signed by the
 * Secret's CA, naming every host asked for, valid for at least RENEW_DAYS
 * more. It creates the Secret when there is none and replaces the serving
 * certificate (keeping the CA) when it falls short; writes are optimistic
 * (create, or replace at the resourceVersion read), so replicas racing at
 * start end up with one certificate. The CA is replaced only when it is
 * unusable or about to expire; the leader then re-injects the CA bundle.
 */
import { X509Certificate } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { Kube } from "../kube/config.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.ts";
import { createCa, createServingCert, replacementReason, signedBy, type KeyPair, type WebhookTls } from "./certificates.ts";

export const TLS_SECRET = "nodenet-webhook-tls";
/** Renew a certificate this many days before it expires. */
export const RENEW_DAYS = 30;

export interface TlsSecretOptions {
  kube: Kube;
  namespace: string;
  name?: string;
  /** DNS names and IP addresses the API server may use to reach the webhook. */
  hosts: readonly string[];
  log?: (message: string) => void;
}

export interface StoredTls extends WebhookTls {
  resourceVersion: string;
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined) => (text ? Buffer.from(text, "base64").toString("utf8") : "");

function decode(secret: V1Secret): WebhookTls {
  const data = secret.data ?? {};
  return { ca: { cert: unb64(data["ca.crt"]), key: unb64(data["ca.key"]) }, serving: { cert: unb64(data["tls.crt"]), key: unb64(data["tls.key"]) } };
}

function body(namespace: string, name: string, tls: WebhookTls, resourceVersion?: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace,
      ...(resourceVersion ? { resourceVersion } : {}),
      labels: { "app.kubernetes.io/part-of": "nodenet", "app.kubernetes.io/component": "controller" },
      annotations: { "nodenet.io/purpose": "the admission webhook's self-managed CA (ca.crt, ca.key) and serving certificate (tls.crt, tls.key)" },
    },
    type: "kubernetes.io/tls",
    data: { "ca.crt": b64(tls.ca.cert), "ca.key": b64(tls.ca.key), "tls.crt": b64(tls.serving.cert), "tls.key": b64(tls.serving.key) },
  };
}

/** The hosts a certificate already names (so a renewal never drops a name another replica uses). */
function namesIn(cert: string): string[] {
  try {
    return (new X509Certificate(cert).subjectAltName ?? "")
      .split(", ")
      .map((entry) => entry.replace(/^DNS:|^IP Address:/, ""))
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** What must change in stored TLS material for `hosts`, or undefined when it is good as it is. */
export async function renew(current: WebhookTls | undefined, hosts: readonly string[], log: (message: string) => void): Promise<WebhookTls | undefined> {
  let ca: KeyPair | undefined = current?.ca;
  const caProblem = ca?.cert && ca.key ? replacementReason(ca.cert, [], RENEW_DAYS) : "there is none";
  if (caProblem) {
    log(`creating the webhook CA: the stored one is unusable (${caProblem})`);
    ca = await createCa();
  }
  const serving = current?.serving;
  const servingProblem = caProblem
    ? "the CA is new"
    : !serving?.cert || !serving.key
      ? "there is none"
      : !signedBy(serving.cert, ca!.cert)
        ? "the CA did not sign it"
        : replacementReason(serving.cert, hosts, RENEW_DAYS);
  if (!servingProblem) return undefined;
  const names = [...new Set([...hosts, ...(serving?.cert && !caProblem ? namesIn(serving.cert) : [])])];
  log(`issuing the webhook serving certificate for ${names.join(", ")}: ${servingProblem}`);
  return { ca: ca!, serving: await createServingCert(ca!, names) };
}

export async function ensureWebhookTls(options: TlsSecretOptions): Promise<StoredTls> {
  const { kube, namespace, hosts } = options;
  const name = options.name ?? TLS_SECRET;
  const log = options.log ?? (() => undefined);
  for (let attempt = 1; ; attempt++) {
    let secret: V1Secret | undefined;
    try {
      secret = await kube.core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const current = secret ? decode(secret) : undefined;
    const next = await renew(current, hosts, log);
    if (!next) return { ...current!, resourceVersion: secret?.metadata?.resourceVersion ?? "" };
    try {
      const written = secret
        ? await kube.core.replaceNamespacedSecret({ name, namespace, body: body(namespace, name, next, secret.metadata?.resourceVersion) })
        : await kube.core.createNamespacedSecret({ namespace, body: body(namespace, name, next) });
      return { ...next, resourceVersion: written.metadata?.resourceVersion ?? "" };
    } catch (error) {
      // Another replica wrote first: read what it wrote and judge that.
      if (attempt < 5 && (isAlreadyExists(error) || isConflict(error))) continue;
      throw error;
    }
  }
}
