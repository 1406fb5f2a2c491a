/**
 * The static DNS configuration of a target: kept in STATE_DIR/dns.static (what
 * `show` reports as dns-resolver.config) and composed with DHCP-learned
 * servers into the target's resolv.conf.
 *
 * On a real host where systemd-resolved or NetworkManager owns
 * /etc/resolv.conf, nodenet's file would be overwritten by them: run nodenet
 * for the host's DNS only where nothing else manages it (see docs/dns.md).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DnsConfig } from "../../state/schema/dns.ts";

export function readStaticDns(stateDir: string): DnsConfig | undefined {
  const file = join(stateDir, "dns.static");
  if (!existsSync(file)) return undefined;
  const config: Required<DnsConfig> = { server: [], search: [], options: [] };
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [key, ...values] = line.trim().split(/\s+/);
    if (key === "nameserver" && values[0]) config.server.push(values[0]);
    if (key === "search") config.search.push(...values);
    if (key === "options") config.options.push(...values);
  }
  return config;
}

export function writeStaticDns(stateDir: string, config: DnsConfig): void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, "dns.static");
  const lines = [
    ...(config.server ?? []).map((s) => `nameserver ${s}`),
    ...(config.search?.length ? [`search ${config.search.join(" ")}`] : []),
    ...(config.options?.length ? [`options ${config.options.join(" ")}`] : []),
  ];
  if (!lines.length) rmSync(file, { force: true });
  else writeFileSync(file, lines.join("\n") + "\n");
}
