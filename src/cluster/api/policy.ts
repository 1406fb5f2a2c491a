/**
 * NodeNetworkConfigurationPolicy (nncp): upstream's fields, unchanged, plus
 * nodenet's opt-in extensions (`probes`, `drain`, `revertOnDelete`). Every
 * object upstream's CRD accepts is accepted here; the CEL rules add what
 * upstream checks in its webhook.
 */
import { z } from "zod";
import { MAX_UNAVAILABLE_CEL } from "./max-unavailable.ts";
import { celRules, conditionList, dateTime, freeformObject, intOrString, resourceShape } from "./meta.ts";

/** A probe nodenet runs by default after applying, before committing. */
const ProbeSettingsSchema = z
  .object({
    enabled: z.boolean().optional().describe("Run this probe (default true). A disabled probe is not held against the change."),
    timeoutSeconds: z.int().min(1).max(3600).optional().describe("How long the probe may take before it counts as failed."),
  })
  .describe("Settings of one built-in probe.");

const TcpProbeSchema = z
  .object({
    host: z.string().min(1).max(253).describe("IP address or DNS name to connect to from the node."),
    port: z.int().min(1).max(65535),
    timeoutSeconds: z.int().min(1).max(3600).optional(),
  })
  .describe("A TCP endpoint that must accept a connection from the node after the change.");

export const ProbesSchema = z
  .object({
    gateway: ProbeSettingsSchema.optional().describe("The default gateway answers (ARP/ICMP)."),
    dns: ProbeSettingsSchema.optional().describe("Every configured DNS server resolves a name."),
    apiServer: ProbeSettingsSchema.optional().describe("The Kubernetes API server is reachable from the node."),
    tcp: z.array(TcpProbeSchema).max(32).optional().describe("Extra TCP targets, checked like the API server."),
  })
  .describe("nodenet extension: per-policy probe settings (the defaults run every built-in probe).");
export type Probes = z.infer<typeof ProbesSchema>;

export const DrainSchema = z
  .object({
    enabled: z.boolean().describe("Cordon the node and evict its pods (honouring PodDisruptionBudgets) before applying; uncordon after."),
    timeoutSeconds: z.int().min(1).max(86400).optional().describe("Give up draining after this long; the node then reports why and does not apply."),
  })
  .describe("nodenet extension: drain a node before configuring it.");
export type Drain = z.infer<typeof DrainSchema>;

/** One address pool (nodenet extension): a CIDR nodes get one address each from, by `{{ pool.NAME }}`. */
export const AddressPoolSchema = z
  .object({
    cidr: z.string().min(1).max(49).describe("The network addresses are taken from, e.g. 198.51.100.0/29 or 2001:db8:1::/64. IPv4 network and broadcast addresses are never handed out."),
    gateway: z.string().min(1).max(45).optional().describe("The gateway of the pool's subnet: never handed out, and `{{ pool.NAME.gateway }}`. Must lie inside cidr."),
    exclude: z.array(z.string().min(1).max(49)).max(256).optional().describe("Addresses or CIDRs inside cidr that are never handed out (hosts configured by hand, a VIP)."),
  })
  .describe("nodenet extension: an address pool; each selected node holds one address of it, recorded in the policy's status.addressAllocations.");
export type AddressPool = z.infer<typeof AddressPoolSchema>;

/** Pool names appear in `{{ pool.NAME }}`: letters, digits, '-' and '_'. */
const POOL_NAME_RULE = celRules({ rule: "self.all(k, k.matches('^[A-Za-z0-9_-]{1,63}$'))", message: "address pool names are 1–63 letters, digits, '-' or '_' (they are written {{ pool.NAME }})" });

export const AddressAllocationSchema = z.object({
  pool: z.string().max(63),
  node: z.string().max(253),
  address: z.string().max(45),
  since: dateTime(),
});
export type AddressAllocation = z.infer<typeof AddressAllocationSchema>;

/** The two label-map rules; keys as upstream, values added (they become label selectors). */
export const NODE_SELECTOR_RULES = celRules(
  { rule: "self.all(k, !format.qualifiedName().validate(k).hasValue())", message: "nodeSelector keys must be valid qualified names" },
  { rule: "self.all(k, !format.labelValue().validate(self[k]).hasValue())", message: "nodeSelector values must be valid label values (at most 63 characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit, or empty)" },
);

export const PolicySpecSchema = z
  .object({
    capture: z
      .record(z.string(), z.string())
      .optional()
      .describe("Capture contains expressions with an associated name than can be referenced at the DesiredState."),
    desiredState: freeformObject().optional().describe("The desired configuration of the policy"),
    maxUnavailable: intOrString(celRules(MAX_UNAVAILABLE_CEL))
      .optional()
      .describe('MaxUnavailable specifies percentage or number of machines that can be updating at a time. Default is "50%".'),
    nodeSelector: z
      // Label values are at most 63 characters; the bound also keeps the CEL rule's cost finite.
      .record(z.string(), z.string().max(63))
      .meta({ maxProperties: 256, ...NODE_SELECTOR_RULES })
      .optional()
      .describe("NodeSelector is a selector that determines which nodes the policy will be applied to. Equality of every given label."),
    addressPools: z
      .record(z.string(), AddressPoolSchema)
      .meta({ maxProperties: 32, ...POOL_NAME_RULE })
      .optional()
      .describe("nodenet extension: address pools, referred to in desiredState as {{ pool.NAME }} (this node's address), {{ pool.NAME.prefix-length }} and {{ pool.NAME.gateway }}."),
    probes: ProbesSchema.optional(),
    drain: DrainSchema.optional(),
    revertOnDelete: z
      .boolean()
      .optional()
      .describe("nodenet extension: when the policy is deleted, restore on each node what it changed (except what another policy still declares)."),
  })
  .meta(
    celRules({
      // A transition rule: runs on updates only. Absent and present-but-different both count as a change.
      rule: "has(self.capture) == has(oldSelf.capture) && (!has(self.capture) || self.capture == oldSelf.capture)",
      message: "spec.capture is immutable: delete the policy and create it again to change its captures",
    }),
  )
  .describe("NodeNetworkConfigurationPolicySpec defines the desired state of NodeNetworkConfigurationPolicy");
export type PolicySpec = z.infer<typeof PolicySpecSchema>;

export const PolicyStatusSchema = z
  .object({
    conditions: conditionList().optional(),
    lastUnavailableNodeCountUpdate: dateTime().optional().describe("LastUnavailableNodeCountUpdate is time of the last UnavailableNodeCount update"),
    unavailableNodeCount: z
      .int()
      .optional()
      .describe("UnavailableNodeCount represents the total number of potentially unavailable nodes that are processing a NodeNetworkConfigurationPolicy"),
    unavailableNodeCountMap: z
      .record(z.string(), z.int())
      .optional()
      .describe("UnavailableNodeCountMap represents the total number of potentially unavailable nodes that are processing a NodeNetworkConfigurationPolicy per Generation (Map Key)"),
    maxUnavailableNodes: z
      .int()
      .optional()
      .describe("nodenet extension: how many of the matching nodes may be applying or failed at once — spec.maxUnavailable as a number of nodes, at least 1 and at most all of them; written by the controller."),
    rolloutSlots: z
      .array(
        z.object({
          node: z.string().max(253),
          generation: z.int(),
          since: dateTime(),
        }),
      )
      .max(10000)
      .optional()
      .describe("nodenet extension: the nodes holding one of the policy's maxUnavailable slots (applying or failed), written by the handlers with optimistic concurrency."),
    addressAllocations: z
      .array(AddressAllocationSchema)
      .max(10000)
      .optional()
      .describe("nodenet extension: the address each node holds in each of spec.addressPools, written by the handlers (each its own node's) with optimistic concurrency; kept across edits, restarts and reboots, dropped when the node leaves the policy."),
  })
  .describe("NodeNetworkConfigurationPolicyStatus defines the observed state of NodeNetworkConfigurationPolicy");
export type PolicyStatus = z.infer<typeof PolicyStatusSchema>;

/** Rules on the whole object: they need metadata.name, or spec and status together. */
const POLICY_RULES = celRules(
  {
    rule: "self.metadata.name.size() <= 63",
    message: "policy names are at most 63 characters: the name is the value of the nmstate.io/policy label on its enactments",
  },
  {
    rule: "!format.labelValue().validate(self.metadata.name).hasValue()",
    message: "policy names must be valid label values (letters, digits, '-', '_', '.'; starting and ending with a letter or digit)",
  },
  {
    rule:
      "!has(oldSelf.status) || !has(oldSelf.status.conditions) || !oldSelf.status.conditions.exists(c, c.type == 'Progressing' && c.status == 'True') || (has(self.spec) == has(oldSelf.spec) && (!has(self.spec) || self.spec == oldSelf.spec))",
    message: "the policy is being rolled out (condition Progressing is True): wait until it is done before changing spec",
  },
);

export const PolicySchema = z
  .object(resourceShape({ spec: PolicySpecSchema.optional(), status: PolicyStatusSchema.optional() }))
  .meta(POLICY_RULES)
  .describe("NodeNetworkConfigurationPolicy is the Schema for the nodenetworkconfigurationpolicies API");
export type Policy = z.infer<typeof PolicySchema>;

/** Condition types and reasons, as upstream writes them. */
export const POLICY_CONDITIONS = ["Available", "Degraded", "Progressing", "Ignored"] as const;
export type PolicyConditionType = (typeof POLICY_CONDITIONS)[number];
export const POLICY_REASONS = ["SuccessfullyConfigured", "FailedToConfigure", "ConfigurationProgressing", "NoMatchingNode"] as const;
export type PolicyConditionReason = (typeof POLICY_REASONS)[number];
