/**
 * Reads a namespace back with iproute2 itself (`ip -json`, `bridge -json`,
 * /proc/sys, the resolver file) and lists every declared key it does not
 * hold. Deliberately independent of nodenet's read and verify code: a bug
 * shared by the engine's reader and its verifier would otherwise pass.
 */
import { readFileSync, existsSync } from "node:fs";
import { inNetns, ip, run } from "../../src/host/kernel/exec.ts";
import type { NetworkState } from "../../src/state/schema/state.ts";

interface Link {
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}
interface AddrLink { ifname: string; addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }
interface Route { dst: string; gateway?: string; dev?: string; table?: string; metric?: number }
interface Rule { priority: number; src?: string; srclen?: number; table: string }

const json = async <T>(netns: string, args: string[]): Promise<T> => {
  const { stdout } = await ip(netns, ["-json", ...args]);
  return (stdout.trim() ? JSON.parse(stdout) : []) as T;
};

const KIND: Record<string, string | undefined> = { veth: "veth", ethernet: "veth", "linux-bridge": "bridge", vxlan: "vxlan", "mac-vlan": "macvlan", dummy: "dummy", vlan: "vlan", bond: "bond", vrf: "vrf" };
const tableName = (id: number) => (id === 254 ? "main" : String(id));

/** The declared keys of `desired` the namespace does not hold, as "path: expected …, found …" lines. */
export async function mismatches(netns: string, desired: NetworkState, resolvConf: string): Promise<string[]> {
  const out: string[] = [];
  const links = new Map((await json<Link[]>(netns, ["-d", "link", "show"])).map((l) => [l.ifname, l]));
  const addrs = new Map((await json<AddrLink[]>(netns, ["addr", "show"])).map((l) => [l.ifname, l.addr_info]));
  const expect = (path: string, ok: boolean, expected: unknown, found: unknown) => {
    if (!ok) out.push(`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(found)}`);
  };

  for (const iface of desired.interfaces ?? []) {
    const at = `interfaces.${iface.name}`;
    const link = links.get(iface.name);
    if (iface.state === "ignore") continue;
    if (iface.state === "absent") {
      expect(at, !link, "absent", "present");
      continue;
    }
    if (!link) {
      out.push(`${at}: expected present, found absent`);
      continue;
    }
    const up = link.flags.includes("UP");
    expect(`${at}.state`, iface.state === "up" ? up : !up, iface.state, up ? "up" : "down");
    if (iface.type) expect(`${at}.type`, link.linkinfo?.info_kind === KIND[iface.type], KIND[iface.type], link.linkinfo?.info_kind);
    if (iface.mtu !== undefined) expect(`${at}.mtu`, link.mtu === iface.mtu, iface.mtu, link.mtu);
    if (iface.veth?.peer) expect(`${at}.veth.peer`, link.link === iface.veth.peer, iface.veth.peer, link.link);
    const data = link.linkinfo?.info_data ?? {};
    if (iface["mac-vlan"]) {
      expect(`${at}.mac-vlan.mode`, data.mode === iface["mac-vlan"].mode, iface["mac-vlan"].mode, data.mode);
      expect(`${at}.mac-vlan.base-iface`, link.link === iface["mac-vlan"]["base-iface"], iface["mac-vlan"]["base-iface"], link.link);
    }
    if (iface.vxlan) {
      expect(`${at}.vxlan.id`, data.id === iface.vxlan.id, iface.vxlan.id, data.id);
      expect(`${at}.vxlan.destination-port`, data.port === iface.vxlan["destination-port"], iface.vxlan["destination-port"], data.port);
      expect(`${at}.vxlan.remote`, data.remote === iface.vxlan.remote, iface.vxlan.remote, data.remote);
    }
    if (iface.vlan) expect(`${at}.vlan.id`, data.id === iface.vlan.id, iface.vlan.id, data.id);
    if (iface.bridge?.port) {
      const want = iface.bridge.port.map((p) => p.name).sort();
      const have = [...links.values()].filter((l) => l.master === iface.name).map((l) => l.ifname).sort();
      expect(`${at}.bridge.port`, JSON.stringify(want) === JSON.stringify(have), want, have);
      const filtering = iface.bridge.port.some((p) => p.vlan);
      if (filtering) expect(`${at}.bridge vlan_filtering`, data.vlan_filtering === 1, 1, data.vlan_filtering);
      for (const port of iface.bridge.port) if (port.vlan) out.push(...(await portVlanMismatches(netns, `${at}.bridge.port.${port.name}.vlan`, port.name, port.vlan)));
    }
    const global = (family: string) => (addrs.get(iface.name) ?? []).filter((a) => a.family === family && a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort();
    if (iface.ipv4) {
      const want = iface.ipv4.enabled === false ? [] : (iface.ipv4.address ?? []).map((a) => `${a.ip}/${a["prefix-length"]}`).sort();
      expect(`${at}.ipv4.address`, JSON.stringify(want) === JSON.stringify(global("inet")), want, global("inet"));
    }
    if (iface.ipv6) {
      const want = iface.ipv6.enabled === false ? [] : (iface.ipv6.address ?? []).map((a) => `${a.ip}/${a["prefix-length"]}`).sort();
      expect(`${at}.ipv6.address`, JSON.stringify(want) === JSON.stringify(global("inet6")), want, global("inet6"));
      if (iface.ipv6.enabled === false) {
        const disabled = (await inNetns(netns, "cat", [`/proc/sys/net/ipv6/conf/${iface.name}/disable_ipv6`])).stdout.trim();
        expect(`${at}.ipv6.enabled (disable_ipv6)`, disabled === "1", "1", disabled);
      } else if (!iface.ipv6.autoconf) {
        // Static-only IPv6 hears no router advertisements (as NetworkManager's manual method).
        const acceptRa = (await inNetns(netns, "cat", [`/proc/sys/net/ipv6/conf/${iface.name}/accept_ra`])).stdout.trim();
        expect(`${at}.ipv6 static (accept_ra)`, acceptRa === "0", "0", acceptRa);
      }
    }
  }

  const routes = [...(await json<Route[]>(netns, ["-4", "route", "show", "table", "all"])), ...(await json<Route[]>(netns, ["-6", "route", "show", "table", "all"]))];
  for (const route of desired.routes?.config ?? []) {
    const table = tableName(route["table-id"] ?? 254);
    const found = routes.filter((r) => r.dst === route.destination && (r.table ?? "main") === table && (r.metric ?? 0) === (route.metric ?? (route.destination?.includes(":") ? 1024 : 0)));
    const at = `routes.config ${route.destination} table ${table} metric ${route.metric}`;
    if (route.state === "absent") expect(at, found.length === 0, "absent", found);
    else expect(at, found.some((r) => r.gateway === route["next-hop-address"] && r.dev === route["next-hop-interface"]), `via ${route["next-hop-address"]} dev ${route["next-hop-interface"]}`, found);
  }
  const rules = await json<Rule[]>(netns, ["-4", "rule", "show"]);
  for (const rule of desired["route-rules"]?.config ?? []) {
    const [src, len] = (rule["ip-from"] ?? "").split("/");
    const found = rules.filter((r) => r.priority === rule.priority && r.src === src && String(r.srclen ?? 32) === len);
    const at = `route-rules.config ${rule["ip-from"]} priority ${rule.priority}`;
    // An absent rule removes only the rules matching every key it gives (the table too), as in nmstate.
    if (rule.state === "absent") expect(at, !found.some((r) => r.table === tableName(rule["route-table"] ?? 254)), "absent", found);
    else expect(at, found.some((r) => r.table === tableName(rule["route-table"] ?? 254)), `table ${rule["route-table"]}`, found);
  }
  const dns = desired["dns-resolver"]?.config;
  if (dns) {
    const text = existsSync(resolvConf) ? readFileSync(resolvConf, "utf8") : "";
    const servers = text.split("\n").filter((l) => l.startsWith("nameserver ")).map((l) => l.slice(11).trim());
    const search = text.split("\n").filter((l) => l.startsWith("search ")).flatMap((l) => l.slice(7).trim().split(/\s+/));
    expect("dns-resolver.config.server", JSON.stringify(servers) === JSON.stringify(dns.server ?? []), dns.server ?? [], servers);
    expect("dns-resolver.config.search", JSON.stringify(search) === JSON.stringify(dns.search ?? []), dns.search ?? [], search);
  }
  return out;
}

interface BridgeVlan { ifname: string; vlans: { vlan: number; flags?: string[]; vlanEnd?: number }[] }

async function portVlanMismatches(netns: string, at: string, port: string, vlan: { mode?: string; tag?: number; "trunk-tags"?: ({ id: number } | { "id-range": { min: number; max: number } })[] }): Promise<string[]> {
  const { stdout } = await run("bridge", ["-n", netns, "-json", "vlan", "show", "dev", port]);
  const entries = ((stdout.trim() ? JSON.parse(stdout) : []) as BridgeVlan[]).flatMap((e) => e.vlans);
  const ids = entries.flatMap((v) => Array.from({ length: (v.vlanEnd ?? v.vlan) - v.vlan + 1 }, (_, k) => v.vlan + k)).sort((a, b) => a - b);
  const pvid = entries.find((v) => v.flags?.includes("PVID"))?.vlan;
  if (vlan.mode === "access") {
    const ok = JSON.stringify(ids) === JSON.stringify([vlan.tag]) && pvid === vlan.tag;
    return ok ? [] : [`${at}: expected access ${vlan.tag}, found vlans ${JSON.stringify(ids)} pvid ${pvid}`];
  }
  const want = (vlan["trunk-tags"] ?? []).flatMap((t) => ("id" in t ? [t.id] : []));
  const missing = want.filter((id) => !ids.includes(id));
  return missing.length ? [`${at}: expected trunk ${JSON.stringify(want)}, found vlans ${JSON.stringify(ids)}`] : [];
}
