/**
 * CustomResourceDefinitions built from the zod schemas: the same definition
 * types our code, validates what it reads, and is the API server's schema.
 */
import { z } from "zod";
import { RESOURCES, type ResourceType } from "./resources.ts";
import { toStructural, type JsonSchema } from "./structural.ts";

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; annotations?: Record<string, string> };
  spec: JsonSchema;
}

export function openApiSchema(resource: ResourceType): JsonSchema {
  return toStructural(z.toJSONSchema(resource.schema, { io: "input", target: "draft-2020-12" }) as JsonSchema);
}

export function buildCrd(resource: ResourceType): CustomResourceDefinition {
  const schema = openApiSchema(resource);
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${resource.plural}.${resource.group}`, annotations: { "nodenet.io/generated-by": "src/cluster/api/generate.ts" } },
    spec: {
      group: resource.group,
      names: {
        kind: resource.kind,
        listKind: resource.listKind,
        plural: resource.plural,
        shortNames: resource.shortNames,
        singular: resource.singular,
      },
      scope: "Cluster",
      versions: resource.versions.map((version) => ({
        ...(resource.printerColumns.length ? { additionalPrinterColumns: resource.printerColumns.map((c) => ({ description: c.description, jsonPath: c.jsonPath, name: c.name, type: c.type })) } : {}),
        ...(version.deprecated ? { deprecated: true } : {}),
        name: version.name,
        schema: { openAPIV3Schema: schema },
        served: true,
        storage: version.storage,
        subresources: { status: {} },
      })),
    },
  };
}

export function buildCrds(): CustomResourceDefinition[] {
  return RESOURCES.map((r) => buildCrd(r));
}
