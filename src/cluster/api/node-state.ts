/** NodeNetworkState (nns): one per node, named after it, written by its handler. */
import { z } from "zod";
import { conditionList, dateTime, freeformObject, resourceShape } from "./meta.ts";

export const NodeStateStatusSchema = z
  .object({
    conditions: conditionList().optional(),
    currentState: freeformObject().optional(),
    handlerNetworkManagerVersion: z.string().optional(),
    handlerNmstateVersion: z.string().optional(),
    hostNetworkManagerVersion: z.string().optional(),
    lastSuccessfulUpdateTime: dateTime().optional(),
    truncated: z
      .object({ reason: z.string(), fullBytes: z.int(), interfaces: z.int() })
      .optional()
      .describe("nodenet extension: set when the full state is too large for one API object and currentState is a summary (see docs)."),
  })
  .describe("NodeNetworkStateStatus is the status of the NodeNetworkState of a specific node");
export type NodeStateStatus = z.infer<typeof NodeStateStatusSchema>;

export const NodeStateSchema = z
  .object(resourceShape({ status: NodeStateStatusSchema.optional() }))
  .describe("NodeNetworkState is the Schema for the nodenetworkstates API");
export type NodeState = z.infer<typeof NodeStateSchema>;
