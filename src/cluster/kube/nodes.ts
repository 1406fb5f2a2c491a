/** Kubernetes Nodes as nodenet reads them (labels, readiness, cordon), and an informer source for them. */
import { z } from "zod";
import { ConditionSchema, ObjectMetaSchema } from "../api/meta.ts";
import type { Kube } from "./config.ts";
import type { InformerSource } from "./informer.ts";

export const NodeSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: z.looseObject({ unschedulable: z.boolean().optional() }).optional(),
  status: z.looseObject({ conditions: z.array(ConditionSchema.loose()).optional() }).optional(),
});
export type Node = z.infer<typeof NodeSchema>;

export const isNodeReady = (node: Node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * The typed core API returns class instances (Dates and all); a JSON round
 * trip gives the same plain shape a watch event has, so both parse alike.
 */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

export function nodeSource(kube: Kube, selectors: { labelSelector?: string; fieldSelector?: string } = {}): InformerSource<Node> {
  return {
    path: "/api/v1/nodes",
    async list() {
      const list = await kube.core.listNode(selectors);
      return { items: list.items.map((n) => NodeSchema.parse(plain(n))), resourceVersion: list.metadata?.resourceVersion ?? "" };
    },
    parse: (raw) => NodeSchema.parse(raw),
    ...selectors,
  };
}
