import { z } from "zod";
import { boolean, integer, interfaceName, u32 } from "./scalars.ts";

const vlanId = () => integer(1, 4094);

export const TrunkTagSchema = z.union([
  z.strictObject({ id: vlanId() }),
  z.strictObject({ "id-range": z.strictObject({ min: vlanId(), max: vlanId() }) }),
]);
export type TrunkTag = z.infer<typeof TrunkTagSchema>;

export const BridgePortVlanSchema = z.strictObject({
  mode: z.enum(["access", "trunk"]).optional(),
  tag: vlanId().optional(),
  "enable-native": boolean().optional(),
  "trunk-tags": z.array(TrunkTagSchema).optional(),
});
export type BridgePortVlan = z.infer<typeof BridgePortVlanSchema>;

export const BridgePortSchema = z.strictObject({
  name: interfaceName(),
  "stp-hairpin-mode": boolean().optional(),
  "stp-path-cost": integer(1, 0xffff_ffff).optional(),
  "stp-priority": integer(0, 63).optional(),
  vlan: BridgePortVlanSchema.optional(),
});
export type BridgePort = z.infer<typeof BridgePortSchema>;

/** The kernel enforces the 802.1D timer ranges only while STP runs; see validate. */
export const StpSchema = z.strictObject({
  enabled: boolean().optional(),
  "forward-delay": integer(0, 255).optional(),
  "hello-time": integer(0, 255).optional(),
  "max-age": integer(0, 255).optional(),
  priority: integer(0, 65535).optional(),
});

export const BridgeOptionsSchema = z.strictObject({
  stp: StpSchema.optional(),
  "mac-ageing-time": u32().optional(),
  "group-forward-mask": integer(0, 0xffff).optional(),
  "group-addr": z.string().optional(),
  "hash-max": u32().optional(),
  "multicast-snooping": boolean().optional(),
  "multicast-router": z.enum(["auto", "disabled", "enabled"]).optional(),
  "multicast-querier": boolean().optional(),
  "multicast-query-use-ifaddr": boolean().optional(),
  "multicast-last-member-count": u32().optional(),
  "multicast-last-member-interval": u32().optional(),
  "multicast-membership-interval": u32().optional(),
  "multicast-querier-interval": u32().optional(),
  "multicast-query-interval": u32().optional(),
  "multicast-query-response-interval": u32().optional(),
  "multicast-startup-query-count": u32().optional(),
  "multicast-startup-query-interval": u32().optional(),
  "vlan-protocol": z.enum(["802.1q", "802.1ad"]).optional(),
  "vlan-default-pvid": integer(0, 4094).optional(),
  /** Verification tolerates ports not listed in `port` (ports attached by other tools). */
  "allow-extra-ports": boolean().optional(),
});
export type BridgeOptions = z.infer<typeof BridgeOptionsSchema>;

export const BridgeSchema = z.strictObject({
  options: BridgeOptionsSchema.optional(),
  port: z.array(BridgePortSchema).optional(),
});
export type Bridge = z.infer<typeof BridgeSchema>;
