import { z } from "zod";
import { boolean, integer, interfaceName, u32 } from "./scalars.ts";

export const VlanSchema = z.strictObject({
  "base-iface": interfaceName().optional(),
  id: integer(0, 4095).optional(),
  protocol: z.enum(["802.1q", "802.1ad"]).optional(),
  "reorder-headers": boolean().optional(),
  "loose-binding": boolean().optional(),
});
export type Vlan = z.infer<typeof VlanSchema>;

export const VxlanSchema = z.strictObject({
  id: integer(0, 0xff_ffff).optional(),
  "base-iface": interfaceName().optional(),
  remote: z.string().optional(),
  local: z.string().optional(),
  "destination-port": integer(0, 65535).optional(),
  learning: boolean().optional(),
});
export type Vxlan = z.infer<typeof VxlanSchema>;

export const MAC_VLAN_MODES = ["vepa", "bridge", "private", "passthru", "source"] as const;
export const MacVlanSchema = z.strictObject({
  "base-iface": interfaceName().optional(),
  mode: z.enum(MAC_VLAN_MODES).optional(),
  promiscuous: boolean().optional(),
});
export type MacVlan = z.infer<typeof MacVlanSchema>;

export const VethSchema = z.strictObject({ peer: interfaceName().optional() });
export type Veth = z.infer<typeof VethSchema>;

export const VrfSchema = z.strictObject({
  port: z.array(interfaceName()).optional(),
  "route-table-id": u32().optional(),
});
export type Vrf = z.infer<typeof VrfSchema>;

/** LLDP is only accepted when it asks for what the host already does: nothing. */
export const LldpSchema = z.strictObject({ enabled: z.literal(false).optional() });
