/**
 * `dns-resolver.running` from resolv.conf text. For a named namespace that is
 * /etc/netns/NS/resolv.conf (`ip netns exec` bind-mounts it over
 * /etc/resolv.conf). A namespace without one reports no resolver: the
 * host's file its processes would fall back to is the host's configuration,
 * not the namespace's, and probing its servers from inside the namespace
 * would send traffic where the namespace's owner never pointed it.
 */
import { readFile } from "node:fs/promises";
import type { DnsConfig } from "../../../state/schema/index.ts";
import { canonicalIp } from "../../../state/ip-address.ts";

export function resolvConfPathFor(netns: string | undefined): string[] {
  return netns ? [`/etc/netns/${netns}/resolv.conf`] : ["/etc/resolv.conf"];
}

/**
 * Parses resolv.conf(5): `nameserver` lines in order, the last `search` or
 * `domain` line (each replaces the previous one), `options` tokens in order.
 * Empty lists are left out.
 */
export function parseResolvConf(text: string): DnsConfig {
  const server: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === "nameserver" && rest[0]) {
      // A scoped IPv6 server (fe80::1%eth0) keeps its zone.
      const [address, zone] = rest[0].split("%") as [string, string | undefined];
      server.push(zone === undefined ? canonicalIp(address) : `${canonicalIp(address)}%${zone}`);
    } else if (keyword === "search") search = rest.filter((s) => !s.startsWith("#") && !s.startsWith(";"));
    else if (keyword === "domain" && rest[0]) search = [rest[0]];
    else if (keyword === "options") options.push(...rest);
  }
  const out: DnsConfig = {};
  if (server.length) out.server = server;
  if (search.length) out.search = search;
  if (options.length) out.options = options;
  return out;
}

/** The resolver file's text and path, or undefined when there is none. */
export async function readResolvConf(netns: string | undefined, override?: string): Promise<{ path: string; text: string } | undefined> {
  for (const path of override ? [override] : resolvConfPathFor(netns)) {
    try {
      return { path, text: await readFile(path, "utf8") };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return undefined;
}
