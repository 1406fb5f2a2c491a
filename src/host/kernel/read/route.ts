/**
 * `routes.running` and `routes.config` from `ip -N -json -d route show table
 * all root 0.0.0.0/0` (and `root ::/0`: the `root` filter is how one batch
 * asks for one family at a time).
 *
 * Reported: routes of every table except `local`, of scope universe or link,
 * not added by the kernel itself (protocol `kernel`: connected and IPv6
 * link-local routes), of type unicast (which must name an output interface)
 * or blackhole/unreachable/prohibit (reported with `route-type`). Multipath
 * routes become one entry per nexthop, each with its `weight`. `config` is
 * the subset with protocol `boot` or `static`, nmstate's kernel-mode
 * definition of configured routes.
 *
 * iproute2's JSON drops the `lock` keyword of route metrics, and a `cwnd`
 * means nothing without it (ip-route(8)), so `cwnd` is reported only when a
 * text dump (one extra process, only when some route has a cwnd) shows it
 * locked.
 */
import type { IpNexthop, IpRoute } from "./ipjson.ts";
import type { Route } from "../../../state/schema/index.ts";
import { canonicalIp, canonicalNetwork, parseNetwork, type Family } from "../../../state/ip-address.ts";
import { numberOf } from "./values.ts";
import { compareRoutes } from "../../../state/route-order.ts";

type RouteType = "unicast" | NonNullable<Route["route-type"]>;

/** rtm_type: RTN_UNICAST 1, RTN_BLACKHOLE 6, RTN_UNREACHABLE 7, RTN_PROHIBIT 8 (names too, for output read without -N). */
const TYPES: Record<string, RouteType> = {
  "1": "unicast",
  "6": "blackhole",
  "7": "unreachable",
  "8": "prohibit",
  unicast: "unicast",
  blackhole: "blackhole",
  unreachable: "unreachable",
  prohibit: "prohibit",
};

const TABLE_NAMES: Record<string, number> = { main: 254, local: 255, default: 253 };
const LOCAL_TABLE = 255;
export const MAIN_TABLE = 254;

/** RT_SCOPE_UNIVERSE 0, RT_SCOPE_LINK 253. */
const SCOPES = new Set(["0", "253", "global", "universe", "link"]);
const KERNEL_PROTOCOLS = new Set(["2", "kernel"]);
const CONFIG_PROTOCOLS = new Set(["3", "4", "boot", "static"]);

export function tableOf(route: { table?: string }): number {
  if (route.table === undefined) return MAIN_TABLE;
  return numberOf(route.table) ?? TABLE_NAMES[route.table] ?? MAIN_TABLE;
}

/** `default` → 0.0.0.0/0 or ::/0; a bare host → /32 or /128; undefined for non-IP destinations (e.g. MPLS labels). */
export function destinationOf(dst: string, family: Family): string | undefined {
  if (dst === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  const parsed = parseNetwork(dst);
  if (!parsed || parsed.address.family !== family) return undefined;
  return canonicalNetwork(dst);
}

/** The key that matches a JSON route to its line in the text dump. */
export function routeKey(family: Family, type: string, dst: string, table: string, metric: string, dev: string): string {
  return [family, type, dst, table, metric, dev].join("|");
}

export const jsonRouteKey = (route: IpRoute, family: Family) =>
  routeKey(family, route.type ?? "", route.dst, route.table ?? "", route.metric === undefined ? "" : String(route.metric), route.dev ?? "");

/** Whether any reportable route carries a cwnd metric, i.e. whether the lock must be looked up. */
export function hasCwnd(routes: readonly IpRoute[]): boolean {
  return routes.some((r) => r.metrics?.some((m) => m.cwnd !== undefined) && tableOf(r) !== LOCAL_TABLE);
}

/**
 * Keys (routeKey) of the routes whose cwnd is locked, from
 * `ip -N -d -o route show table all` lines such as
 * `1 192.0.2.0/24 dev eth0 table 254 proto 4 scope 253 metric 5 cwnd lock 33`.
 * IPv6 routes always carry `pref`, IPv4 ones never.
 */
export function lockedCwndKeys(lines: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const line of lines) {
    const tokens = line.replace(/\\/g, " ").trim().split(/\s+/);
    const cwnd = tokens.indexOf("cwnd");
    if (cwnd < 0 || tokens[cwnd + 1] !== "lock") continue;
    const family: Family = tokens.includes("pref") ? 6 : 4;
    const [type = "", dst = ""] = tokens;
    let table = "";
    let metric = "";
    let dev = "";
    for (let i = 2; i < tokens.length; i++) {
      const token = tokens[i];
      if (token === "nexthop") break;
      const next = tokens[i + 1] ?? "";
      if (token === "table") table = next;
      else if (token === "metric") metric = next;
      else if (token === "dev" && dev === "") dev = next;
    }
    keys.add(routeKey(family, type, dst, table, metric, dev));
  }
  return keys;
}

export interface RouteReadOptions {
  /** Keys (routeKey) of routes whose cwnd is locked; without it no cwnd is reported. */
  lockedCwnd?: ReadonlySet<string>;
}

export interface ReportedRoute {
  route: Route;
  family: Family;
  configured: boolean;
}

function gatewayOf(hop: { gateway?: string; via?: IpNexthop["via"] }): string | undefined {
  const gw = hop.gateway ?? hop.via?.host;
  return gw ? canonicalIp(gw) : undefined;
}

/** The entries one kernel route is reported as (none, one, or one per nexthop). */
export function routeEntries(route: IpRoute, family: Family, options: RouteReadOptions = {}): ReportedRoute[] {
  const type = TYPES[route.type ?? "1"];
  if (!type) return [];
  const table = tableOf(route);
  if (table === LOCAL_TABLE) return [];
  if (route.protocol !== undefined && KERNEL_PROTOCOLS.has(route.protocol)) return [];
  if (route.scope !== undefined && !SCOPES.has(route.scope)) return [];
  const destination = destinationOf(route.dst, family);
  if (!destination) return [];
  const configured = route.protocol !== undefined && CONFIG_PROTOCOLS.has(route.protocol);
  const metric = route.metric ?? 0;

  if (type !== "unicast") {
    return [{ route: { destination, metric, "table-id": table, "route-type": type }, family, configured }];
  }

  const metrics = route.metrics?.[0] ?? {};
  const locked = options.lockedCwnd?.has(jsonRouteKey(route, family)) ?? false;
  const build = (dev: string, gateway: string | undefined, weight: number | undefined, onlink: boolean): Route => {
    const entry: Route = { destination, "next-hop-interface": dev };
    if (gateway) entry["next-hop-address"] = gateway;
    entry.metric = metric;
    entry["table-id"] = table;
    if (weight !== undefined) entry.weight = weight;
    if (route.prefsrc) entry.source = canonicalIp(route.prefsrc);
    if (locked && metrics.cwnd !== undefined) entry.cwnd = metrics.cwnd;
    if (metrics.initcwnd !== undefined) entry.initcwnd = metrics.initcwnd;
    if (metrics.initrwnd !== undefined) entry.initrwnd = metrics.initrwnd;
    if (metrics.mtu !== undefined) entry.mtu = metrics.mtu;
    if (metrics.advmss !== undefined) entry.advmss = metrics.advmss;
    if (metrics.quickack !== undefined) entry.quickack = metrics.quickack !== 0;
    if (onlink) entry.onlink = true;
    return entry;
  };

  if (route.nexthops && route.nexthops.length > 0) {
    return route.nexthops
      .filter((hop) => typeof hop.dev === "string" && hop.dev !== "")
      // iproute2 prints a nexthop's weight only when it is not 1.
      .map((hop) => ({
        route: build(hop.dev!, gatewayOf(hop), hop.weight ?? 1, (hop.flags ?? []).includes("onlink") || (route.flags ?? []).includes("onlink")),
        family,
        configured,
      }));
  }
  if (!route.dev) return [];
  return [{ route: build(route.dev, gatewayOf(route), undefined, (route.flags ?? []).includes("onlink")), family, configured }];
}

export function routesSection(
  v4: readonly IpRoute[],
  v6: readonly IpRoute[],
  options: RouteReadOptions = {},
): { config: Route[]; running: Route[] } {
  const reported = [
    ...v4.flatMap((r) => routeEntries(r, 4, options)),
    ...v6.flatMap((r) => routeEntries(r, 6, options)),
  ].sort(compareRoutes);
  return {
    config: reported.filter((r) => r.configured).map((r) => ({ ...r.route })),
    running: reported.map((r) => r.route),
  };
}
