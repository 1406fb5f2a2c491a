/**
 * Finding the cluster the way kubectl does, and the API clients built from
 * it. Parsed once in `main` and passed down: no module-level client.
 *
 * Order: an explicit path (--kubeconfig), then $KUBECONFIG, then the
 * in-cluster service account (a pod), then ~/.kube/config.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig } from "@kubernetes/client-node";
import { RawObjectApi } from "./raw.ts";

export type KubeconfigSource = { kind: "file"; path: string } | { kind: "in-cluster" };

export function resolveKubeconfig(explicitPath?: string, env: NodeJS.ProcessEnv = process.env): KubeconfigSource {
  if (explicitPath) return { kind: "file", path: explicitPath };
  const fromEnv = env.KUBECONFIG?.split(":").find((p) => p.length > 0);
  if (fromEnv) return { kind: "file", path: fromEnv };
  if (env.KUBERNETES_SERVICE_HOST && existsSync("/var/run/secrets/kubernetes.io/serviceaccount/token")) return { kind: "in-cluster" };
  return { kind: "file", path: join(homedir(), ".kube", "config") };
}

export function loadKubeConfig(source: KubeconfigSource): KubeConfig {
  const kc = new KubeConfig();
  if (source.kind === "in-cluster") kc.loadFromCluster();
  else {
    if (!existsSync(source.path)) throw new Error(`no kubeconfig at ${source.path} (give --kubeconfig, set KUBECONFIG, or run in a pod)`);
    kc.loadFromFile(source.path);
  }
  if (!kc.getCurrentCluster()) throw new Error(`the kubeconfig${source.kind === "file" ? ` ${source.path}` : ""} names no current cluster`);
  return kc;
}

/** The API clients nodenet uses, made once from one KubeConfig. */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
  /** Objects of any kind as plain JSON (server-side apply of deploy/ and the CRDs). */
  objects: RawObjectApi;
}

export function createKube(config: KubeConfig): Kube {
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    coordination: config.makeApiClient(CoordinationV1Api),
    events: config.makeApiClient(EventsV1Api),
    objects: RawObjectApi.fromConfig(config),
  };
}

/** `createKube(loadKubeConfig(resolveKubeconfig(path)))`. */
export function connect(explicitPath?: string): Kube {
  return createKube(loadKubeConfig(resolveKubeconfig(explicitPath)));
}
