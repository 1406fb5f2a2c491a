/** Kubeconfig files for the lab's identities (file paths, not embedded data, so `lab down` has one thing to delete). */
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import type { ClientCert } from "./pki.ts";

export interface KubeconfigOptions {
  clusterName: string;
  server: string;
  caCert: string;
  user: string;
  /** A client certificate, or a bearer token (a service-account token bound to a Node, for the handlers). */
  credentials: ClientCert | { token: string };
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: options.clusterName, cluster: { server: options.server, "certificate-authority": options.caCert } }],
    users: [
      {
        name: options.user,
        user: "token" in options.credentials ? { token: options.credentials.token } : { "client-certificate": options.credentials.cert, "client-key": options.credentials.key },
      },
    ],
    contexts: [{ name: options.clusterName, context: { cluster: options.clusterName, user: options.user } }],
    "current-context": options.clusterName,
  });
}

export function writeKubeconfig(path: string, options: KubeconfigOptions): string {
  writeFileSync(path, renderKubeconfig(options), { mode: 0o600 });
  return path;
}
