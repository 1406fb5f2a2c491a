/** What to probe after a change and how long each probe may try. */
export interface ProbeSettings {
  gateway: { enabled: boolean; timeoutMs: number };
  dns: { enabled: boolean; timeoutMs: number; name: string };
  /** Extra TCP targets that must accept a connection (the cluster adds the API server). */
  tcp: { host: string; port: number; timeoutMs: number; /** What the target is, for messages ("API server"). */ name?: string }[];
}

export const DEFAULT_PROBE_TIMEOUT_MS = 20_000;

export function defaultProbeSettings(): ProbeSettings {
  return {
    gateway: { enabled: true, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS },
    dns: { enabled: true, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS, name: "localhost" },
    tcp: [],
  };
}

export type ProbeTarget =
  | { kind: "gateway"; address: string; iface: string; family: 4 | 6; timeoutMs: number }
  /** The default route vanished: nothing to ping, which is itself the failure. */
  | { kind: "gateway-missing"; address: string; iface: string; family: 4 | 6; timeoutMs: number }
  | { kind: "dns"; server: string; name: string; timeoutMs: number }
  /** The host resolved names through these servers before the change and has none after it. */
  | { kind: "dns-missing"; servers: string[]; timeoutMs: number }
  | { kind: "tcp"; host: string; port: number; timeoutMs: number; name?: string };

export interface ProbeResult {
  target: ProbeTarget;
  ok: boolean;
  /** What was seen, for the failure message ("no reply to ARP/ICMP", "connection refused"). */
  detail: string;
  elapsedMs: number;
}

export function describeTarget(t: ProbeTarget): string {
  switch (t.kind) {
    case "gateway":
    case "gateway-missing":
      return `default gateway ${t.address} via ${t.iface}`;
    case "dns":
      return `DNS server ${t.server}`;
    case "dns-missing":
      return `DNS (servers ${t.servers.join(", ")})`;
    case "tcp":
      return `${t.name ?? "TCP"} ${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
  }
}

/** `default gateway 192.0.2.1 unreachable via bond0 after 20s` */
export function describeFailure(r: ProbeResult): string {
  const after = `after ${Math.round(r.elapsedMs / 1000)}s`;
  switch (r.target.kind) {
    case "gateway":
      return `default gateway ${r.target.address} unreachable via ${r.target.iface} ${after} (${r.detail})`;
    case "gateway-missing":
      return `default gateway ${r.target.address} via ${r.target.iface} lost: ${r.detail}`;
    case "dns-missing":
      return `DNS lost: the host used ${r.target.servers.join(", ")} and has no DNS server any more`;
    case "dns":
      return `DNS server ${r.target.server} did not answer a query for ${r.target.name} ${after} (${r.detail})`;
    case "tcp":
      return `${describeTarget(r.target)} unreachable ${after} (${r.detail})`;
  }
}
