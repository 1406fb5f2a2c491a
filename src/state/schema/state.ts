import { z } from "zod";
import { DnsResolverSchema, HostnameSchema } from "./dns.ts";
import { InterfaceSchema } from "./interface.ts";
import { RouteRulesSchema, RoutesSchema } from "./routes.ts";

/**
 * The nmstate network state document: what `show` prints and what `apply`
 * takes. `running` sections are reported and ignored on apply.
 */
export const NetworkStateSchema = z.strictObject({
  interfaces: z.array(InterfaceSchema).optional(),
  routes: RoutesSchema.optional(),
  "route-rules": RouteRulesSchema.optional(),
  "dns-resolver": DnsResolverSchema.optional(),
  hostname: HostnameSchema.optional(),
});
export type NetworkState = z.infer<typeof NetworkStateSchema>;

/**
 * An nmpolicy document: named capture expressions evaluated against the
 * current state, and a desired state that may reference them with
 * `{{ capture.NAME.path }}` templates (so it is not a NetworkState yet).
 */
export const PolicyDocumentSchema = z.strictObject({
  capture: z.record(z.string(), z.string()).optional(),
  desiredState: z.unknown(),
});
