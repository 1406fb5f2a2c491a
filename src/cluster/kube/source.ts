/** An informer source for one of the nmstate.io resources, optionally narrowed by a label selector. */
import type { z } from "zod";
import type { InformerSource } from "./informer.ts";
import type { KubeObject, ResourceClient } from "./resources.ts";

export function resourceSource<S extends z.ZodType<KubeObject>>(client: ResourceClient<S>, labelSelector?: string): InformerSource<z.infer<S>> {
  return {
    path: client.path,
    list: () => client.list(labelSelector ? { labelSelector } : {}),
    parse: (raw) => client.parse(raw),
    ...(labelSelector ? { labelSelector } : {}),
  };
}
