import { z } from "zod";
import { boolean, integer, interfaceName, u32 } from "./scalars.ts";

export const RouteSchema = z.strictObject({
  destination: z.string().optional(),
  "next-hop-interface": interfaceName().optional(),
  "next-hop-address": z.string().optional(),
  metric: u32().optional(),
  "table-id": u32().optional(),
  weight: integer(1, 256).optional(),
  "route-type": z.enum(["blackhole", "unreachable", "prohibit"]).optional(),
  source: z.string().optional(),
  cwnd: u32().optional(),
  initcwnd: u32().optional(),
  initrwnd: u32().optional(),
  mtu: u32().optional(),
  advmss: u32().optional(),
  quickack: boolean().optional(),
  onlink: boolean().optional(),
  state: z.literal("absent").optional(),
});
export type Route = z.infer<typeof RouteSchema>;

export const RoutesSchema = z.strictObject({
  config: z.array(RouteSchema).optional(),
  /** Reported by `show`; ignored on apply. */
  running: z.array(RouteSchema).optional(),
});
export type Routes = z.infer<typeof RoutesSchema>;

export const RouteRuleSchema = z.strictObject({
  "ip-from": z.string().optional(),
  "ip-to": z.string().optional(),
  priority: u32().optional(),
  "route-table": u32().optional(),
  fwmark: u32().optional(),
  fwmask: u32().optional(),
  family: z.enum(["ipv4", "ipv6"]).optional(),
  iif: interfaceName().optional(),
  oif: interfaceName().optional(),
  action: z.enum(["blackhole", "unreachable", "prohibit"]).optional(),
  "suppress-prefix-length": integer(-1, 128).optional(),
  state: z.literal("absent").optional(),
});
export type RouteRule = z.infer<typeof RouteRuleSchema>;

export const RouteRulesSchema = z.strictObject({
  config: z.array(RouteRuleSchema).optional(),
});
export type RouteRules = z.infer<typeof RouteRulesSchema>;
