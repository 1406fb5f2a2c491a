import { z } from "zod";

export const DnsConfigSchema = z.strictObject({
  server: z.array(z.string()).optional(),
  search: z.array(z.string()).optional(),
  options: z.array(z.string()).optional(),
});
export type DnsConfig = z.infer<typeof DnsConfigSchema>;

export const DnsResolverSchema = z.strictObject({
  config: DnsConfigSchema.optional(),
  /** Reported by `show`; ignored on apply. */
  running: DnsConfigSchema.optional(),
});
export type DnsResolver = z.infer<typeof DnsResolverSchema>;

export const HostnameSchema = z.strictObject({
  running: z.string().optional(),
  config: z.string().optional(),
});
export type Hostname = z.infer<typeof HostnameSchema>;
