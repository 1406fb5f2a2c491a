/**
 * The probes a policy's change must pass on a node: nodenet's defaults
 * (gateway, DNS), the API server as the node reaches it, and the policy's
 * own `spec.probes` (timeouts, extra TCP targets, a probe turned off).
 */
import { defaultProbeSettings, type ProbeSettings } from "../../probe/types.ts";
import type { Probes } from "../api/policy.ts";

export interface ApiEndpoint {
  host: string;
  port: number;
}

/** host:port of the API server from its URL (`https://192.0.2.2:6443`). */
export function apiEndpoint(server: string): ApiEndpoint | undefined {
  try {
    const url = new URL(server);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return { host, port: Number(url.port || (url.protocol === "http:" ? 80 : 443)) };
  } catch {
    return undefined;
  }
}

export function probeSettingsFor(spec: Probes | undefined, api: ApiEndpoint | undefined, defaultTimeoutMs: number): ProbeSettings {
  const settings = defaultProbeSettings();
  const timeout = (s: { timeoutSeconds?: number | undefined } | undefined) => (s?.timeoutSeconds ? s.timeoutSeconds * 1000 : defaultTimeoutMs);
  settings.gateway = { enabled: spec?.gateway?.enabled ?? true, timeoutMs: timeout(spec?.gateway) };
  settings.dns = { ...settings.dns, enabled: spec?.dns?.enabled ?? true, timeoutMs: timeout(spec?.dns) };
  settings.tcp = [];
  if (api && (spec?.apiServer?.enabled ?? true)) settings.tcp.push({ host: api.host, port: api.port, timeoutMs: timeout(spec?.apiServer), name: "API server" });
  for (const t of spec?.tcp ?? []) settings.tcp.push({ host: t.host, port: t.port, timeoutMs: timeout(t) });
  return settings;
}
