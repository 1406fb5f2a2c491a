/**
 * The three nmstate.io resources: names, served versions, the version nodenet
 * talks, and the zod schema that types and validates them.
 */
import type { z } from "zod";
import { EnactmentSchema } from "./enactment.ts";
import { NodeStateSchema } from "./node-state.ts";
import { PolicySchema } from "./policy.ts";

export const GROUP = "nmstate.io";

export interface PrinterColumn {
  name: string;
  type: "string" | "date" | "integer" | "number" | "boolean";
  jsonPath: string;
  description: string;
}

export interface ResourceType<S extends z.ZodType = z.ZodType> {
  group: typeof GROUP;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Served versions; the storage version first. Every version has the same schema. */
  versions: { name: string; storage: boolean; deprecated?: boolean }[];
  /** The version nodenet's clients use. */
  version: string;
  printerColumns: PrinterColumn[];
  schema: S;
}

const STATUS_COLUMN: PrinterColumn = { name: "Status", type: "string", jsonPath: '.status.conditions[?(@.status=="True")].type', description: "Status" };
const REASON_COLUMN: PrinterColumn = { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.status=="True")].reason', description: "Reason" };
const STATUS_AGE_COLUMN: PrinterColumn = {
  name: "Status Age",
  type: "date",
  jsonPath: '.status.conditions[?(@.status=="True")].lastTransitionTime',
  description: "Status Age",
};

export const POLICY = {
  group: GROUP,
  kind: "NodeNetworkConfigurationPolicy",
  listKind: "NodeNetworkConfigurationPolicyList",
  plural: "nodenetworkconfigurationpolicies",
  singular: "nodenetworkconfigurationpolicy",
  shortNames: ["nncp"],
  versions: [{ name: "v1", storage: true }, { name: "v1beta1", storage: false, deprecated: true }],
  version: "v1",
  // upstream's columns, then nodenet's: spec.maxUnavailable as the number of nodes it means
  printerColumns: [STATUS_COLUMN, REASON_COLUMN, { name: "Max Unavailable", type: "integer", jsonPath: ".status.maxUnavailableNodes", description: "Nodes that may be applying or failed at once (spec.maxUnavailable, clamped to 1..matching nodes)" }],
  schema: PolicySchema,
} satisfies ResourceType;

export const ENACTMENT = {
  group: GROUP,
  kind: "NodeNetworkConfigurationEnactment",
  listKind: "NodeNetworkConfigurationEnactmentList",
  plural: "nodenetworkconfigurationenactments",
  singular: "nodenetworkconfigurationenactment",
  shortNames: ["nnce"],
  versions: [{ name: "v1beta1", storage: true }],
  version: "v1beta1",
  // upstream's columns, then nodenet's: the addresses allocated to the node from the policy's pools
  printerColumns: [STATUS_COLUMN, STATUS_AGE_COLUMN, REASON_COLUMN, { name: "Address", type: "string", jsonPath: ".status.addressAllocations[*].address", description: "Addresses allocated to the node from the policy's address pools" }],
  schema: EnactmentSchema,
} satisfies ResourceType;

export const NODE_STATE = {
  group: GROUP,
  kind: "NodeNetworkState",
  listKind: "NodeNetworkStateList",
  plural: "nodenetworkstates",
  singular: "nodenetworkstate",
  shortNames: ["nns"],
  versions: [{ name: "v1beta1", storage: true }],
  version: "v1beta1",
  printerColumns: [],
  schema: NodeStateSchema,
} satisfies ResourceType;

export const RESOURCES = [POLICY, ENACTMENT, NODE_STATE] as const;

export const apiVersionOf = (resource: Pick<ResourceType, "group" | "version">) => `${resource.group}/${resource.version}`;
