/**
 * Server-side apply of manifests of any kind (deploy/, the CRDs), through
 * discovery, with a field manager; and installing CRDs until they serve.
 */
import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { sleep } from "./backoff.ts";
import type { Kube } from "./config.ts";

export interface ManifestApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
}

/** YAML text (several documents) → objects, skipping empty documents. */
export function parseManifests(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === "object" && typeof o.kind === "string");
}

export async function serverSideApply(kube: Kube, object: KubernetesObject, options: ManifestApplyOptions): Promise<KubernetesObject> {
  return (await kube.objects.send(object, {
    method: "PATCH",
    action: "patch",
    body: object,
    contentType: PatchStrategy.ServerSideApply,
    query: { fieldManager: options.fieldManager, force: String(options.force ?? true), dryRun: options.dryRun ? "All" : undefined },
  })) as KubernetesObject;
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Applies CRDs and waits until each is Established (served), failing with the server's reason. */
export async function installCrds(kube: Kube, crds: readonly KubernetesObject[], options: { fieldManager: string; timeoutMs?: number }): Promise<void> {
  for (const crd of crds) await serverSideApply(kube, crd, { fieldManager: options.fieldManager, force: true });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (const crd of crds) {
    for (;;) {
      const current = (await kube.objects.send(
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: crd.metadata?.name ?? "" } },
        { method: "GET", action: "read" },
      )) as CrdStatus;
      const conditions = current.status?.conditions ?? [];
      if (conditions.some((c) => c.type === "Established" && c.status === "True")) break;
      const problem = conditions.find((c) => c.type === "NamesAccepted" && c.status === "False");
      if (problem) throw new Error(`CRD ${crd.metadata?.name}: ${problem.reason}: ${problem.message}`);
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata?.name} was not Established in time`);
      await sleep(200);
    }
  }
}
