/**
 * dnsmasq as the lab's DHCP and DNS server (and the tests' one): its
 * configuration as data, rendered either as `--option=value` arguments or as
 * the lines of a configuration file. Pure; starting it is the caller's job.
 */

export interface DnsmasqDhcpHost {
  mac: string;
  address: string;
  /** Host name handed to the client (and resolvable through the lease). */
  name?: string;
}

export interface DnsmasqConfig {
  /** Interfaces to serve on (`lo` is always excluded; dnsmasq binds only these). */
  interfaces: string[];
  dhcp?: {
    range: [string, string];
    netmask?: string;
    leaseTime?: string;
    router: string;
    dns: string;
    /** Fixed addresses by MAC (they need not lie inside `range`). */
    hosts?: DnsmasqDhcpHost[];
  };
  /**
   * A second segment where only the listed hosts get an address (dnsmasq's
   * "static" range), with no router or DNS server handed out: per-node
   * addresses by MAC, e.g. for a storage network.
   */
  reserved?: { network: string; netmask?: string; leaseTime?: string; hosts: DnsmasqDhcpHost[] };
  /** DNS domain; also handed out as the DHCP search domain. */
  domain?: string;
  /** Names answered with a fixed IPv4 address (`--address=/name/ip`, which also covers subdomains). */
  records?: Record<string, string>;
  /** Answer NXDOMAIN for every name not known locally, instead of REFUSED for want of an upstream. */
  authoritativeForAll?: boolean;
  leaseFile: string;
  pidFile: string;
  logQueries?: boolean;
}

/** The configuration as `key=value` / `flag` lines (a dnsmasq.conf body, or arguments with `--` prefixed). */
export function dnsmasqLines(config: DnsmasqConfig): string[] {
  const lines = ["no-resolv", "no-hosts", ...config.interfaces.map((i) => `interface=${i}`), "bind-interfaces", "except-interface=lo"];
  const { dhcp } = config;
  if (dhcp) {
    // With a reserved-only segment, the router and DNS options must not reach it: tag the main range.
    const tag = config.reserved ? "tag:main," : "";
    lines.push(
      `dhcp-range=${config.reserved ? "set:main," : ""}${dhcp.range[0]},${dhcp.range[1]},${dhcp.netmask ?? "255.255.255.0"},${dhcp.leaseTime ?? "1h"}`,
      `dhcp-option=${tag}option:router,${dhcp.router}`,
      `dhcp-option=${tag}option:dns-server,${dhcp.dns}`,
      ...(dhcp.hosts ?? []).map((h) => `dhcp-host=${h.mac},${h.address}${h.name ? `,${h.name}` : ""}`),
      "dhcp-authoritative",
      "log-dhcp",
    );
  }
  if (config.reserved) {
    const r = config.reserved;
    lines.push(
      `dhcp-range=set:reserved,${r.network},static,${r.netmask ?? "255.255.255.0"},${r.leaseTime ?? "1h"}`,
      // Empty values: no router and no DNS server on this segment.
      "dhcp-option=tag:reserved,option:router",
      "dhcp-option=tag:reserved,option:dns-server",
      ...r.hosts.map((h) => `dhcp-host=${h.mac},${h.address}`),
    );
  }
  if (config.domain) {
    lines.push(`domain=${config.domain}`, `local=/${config.domain}/`);
    if (dhcp) lines.push(`dhcp-option=option:domain-search,${config.domain}`);
  }
  lines.push(...Object.entries(config.records ?? {}).map(([name, ip]) => `address=/${name}/${ip}`));
  if (config.authoritativeForAll) lines.push("local=/#/");
  lines.push(`dhcp-leasefile=${config.leaseFile}`, `pid-file=${config.pidFile}`, "log-facility=-");
  if (config.logQueries) lines.push("log-queries");
  return lines;
}

/** Command-line arguments for a foreground dnsmasq that reads no configuration file. */
export function dnsmasqArgs(config: DnsmasqConfig): string[] {
  return ["--keep-in-foreground", "--conf-file=/dev/null", ...dnsmasqLines(config).map((l) => `--${l}`)];
}

/** What dnsmasq logs once its sockets are open. */
export const DNSMASQ_STARTED = /dnsmasq\[\d+\]: started, version/;
