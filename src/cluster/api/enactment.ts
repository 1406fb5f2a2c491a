/**
 * NodeNetworkConfigurationEnactment (nnce): one per node × policy, named
 * `<node>.<policy>`, labelled with both, owned by the Node. Written by the
 * handler of that node. Upstream preserves unknown fields at the root; so do we.
 */
import { z } from "zod";
import { conditionList, dateTime, freeformObject, int64, resourceShape } from "./meta.ts";

const MetaInfoSchema = z.object({ time: dateTime().optional(), version: z.string().optional() });

export const CapturedStateSchema = z.object({
  metaInfo: MetaInfoSchema.optional(),
  state: freeformObject().optional(),
});

export const EnactmentStatusSchema = z
  .object({
    capturedStates: z
      .record(z.string(), CapturedStateSchema)
      .optional()
      .describe("A cache containing the resolved captures after processing the capture at NNCP"),
    conditions: conditionList().optional(),
    desiredState: freeformObject()
      .optional()
      .describe("The desired state rendered for the enactment's node using the policy desiredState as template"),
    desiredStateMetaInfo: MetaInfoSchema.optional(),
    features: z.array(z.string()).optional(),
    policyGeneration: int64()
      .optional()
      .describe("The generation from policy needed to check if an enactment condition status belongs to the same policy version"),
    retryCount: z.record(z.string(), z.int()).optional(),
    addressAllocations: z
      .array(z.object({ pool: z.string(), address: z.string() }))
      .optional()
      .describe("nodenet extension: the addresses this node holds in the policy's address pools (the policy's status.addressAllocations is the record)."),
    failureDetails: z
      .array(z.string())
      .optional()
      .describe(
        "nodenet extension: every problem behind the Failing condition (verification mismatches, failed probes, validation issues), of which its message shows the first few; at most 1000 entries of at most 512 bytes, 64 KiB in all, the last saying how many more there were. Absent unless Failing.",
      ),
    revertState: freeformObject()
      .optional()
      .describe("nodenet extension: the desired state that undoes this enactment's last successful apply on its node (used by spec.revertOnDelete)."),
  })
  .describe("NodeNetworkConfigurationEnactmentStatus defines the observed state of NodeNetworkConfigurationEnactment");
export type EnactmentStatus = z.infer<typeof EnactmentStatusSchema>;

export const EnactmentSchema = z
  .looseObject(resourceShape({ status: EnactmentStatusSchema.optional() }))
  .meta({ "x-kubernetes-preserve-unknown-fields": true })
  .describe("NodeNetworkConfigurationEnactment is the Schema for the nodenetworkconfigurationenactments API");
export type Enactment = z.infer<typeof EnactmentSchema>;

export const ENACTMENT_CONDITIONS = ["Pending", "Progressing", "Available", "Failing", "Aborted"] as const;
export type EnactmentConditionType = (typeof ENACTMENT_CONDITIONS)[number];
export const ENACTMENT_REASONS = ["MaxUnavailableLimitReached", "ConfigurationProgressing", "SuccessfullyConfigured", "FailedToConfigure", "ConfigurationAborted"] as const;
export type EnactmentConditionReason = (typeof ENACTMENT_REASONS)[number];

/** Labels upstream puts on every enactment. */
export const ENACTMENT_NODE_LABEL = "nmstate.io/node";
export const ENACTMENT_POLICY_LABEL = "nmstate.io/policy";

/** `<node>.<policy>`, upstream's naming. */
export const enactmentName = (node: string, policy: string) => `${node}.${policy}`;
