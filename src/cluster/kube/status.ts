/**
 * Writing the status subresource. Three ways, for three needs:
 * - `patchStatus`: JSON merge patch — the simple "set these fields"
 *   (lists such as conditions are replaced whole: send the full list);
 * - `applyStatus`: server-side apply with a field manager — several writers
 *   owning different status fields;
 * - `replaceStatus`: PUT with the object's resourceVersion — optimistic
 *   concurrency, fails with 409 Conflict if anyone wrote in between (what
 *   counting shared slots needs).
 */
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { z } from "zod";
import type { KubeObject, ResourceClient } from "./resources.ts";

export interface StatusWriteOptions {
  fieldManager?: string;
  /** Precondition: fail with 409 unless the object is still at this resourceVersion. */
  resourceVersion?: string;
}

const ref = <S extends z.ZodType<KubeObject>>(client: ResourceClient<S>) => ({ group: client.type.group, version: client.type.version, plural: client.type.plural });

export async function patchStatus<S extends z.ZodType<KubeObject>>(client: ResourceClient<S>, name: string, status: Record<string, unknown>, options: StatusWriteOptions = {}): Promise<z.infer<S>> {
  const body: Record<string, unknown> = { status };
  if (options.resourceVersion) body.metadata = { resourceVersion: options.resourceVersion };
  const raw = await client.kube.custom.patchClusterCustomObjectStatus(
    { ...ref(client), name, body, fieldManager: options.fieldManager },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  return client.parse(raw);
}

export async function applyStatus<S extends z.ZodType<KubeObject>>(client: ResourceClient<S>, name: string, status: Record<string, unknown>, options: { fieldManager: string; force?: boolean }): Promise<z.infer<S>> {
  const body = { apiVersion: client.apiVersion, kind: client.type.kind, metadata: { name }, status };
  const raw = await client.kube.custom.patchClusterCustomObjectStatus(
    { ...ref(client), name, body, fieldManager: options.fieldManager, force: options.force ?? true },
    setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
  );
  return client.parse(raw);
}

/** PUT of the whole object's status; `object.metadata.resourceVersion` is the precondition. */
export async function replaceStatus<S extends z.ZodType<KubeObject>>(client: ResourceClient<S>, object: z.infer<S>, options: { fieldManager?: string } = {}): Promise<z.infer<S>> {
  const body = { apiVersion: client.apiVersion, kind: client.type.kind, ...object };
  const raw = await client.kube.custom.replaceClusterCustomObjectStatus({ ...ref(client), name: object.metadata.name, body, fieldManager: options.fieldManager });
  return client.parse(raw);
}
