/**
 * Routes and route rules are additive: desired entries are added to what the
 * host has; entries with `state: absent` remove every configured entry they
 * match, a missing field matching anything. Only configured entries (kernel
 * protocols boot/static) can be removed — connected, DHCP and RA routes belong
 * to the kernel and the address-configuration clients.
 */
import { canonicalIp, canonicalNetwork, familyOfText } from "../ip-address.ts";
import { DEFAULT_ROUTE_TABLE } from "../model.ts";
import type { Route, RouteRule } from "../schema/routes.ts";

export interface MergedList<T> {
  /** Configured entries after the change. */
  merged: T[];
  /** Entries to add (not yet on the host). */
  add: T[];
  /** Entries on the host to remove. */
  remove: T[];
}

/** Defaults made explicit and addresses made canonical, so equal routes compare equal. */
export function normaliseRoute(route: Route): Route {
  const out: Route = { ...route };
  if (out.destination) out.destination = canonicalNetwork(out.destination);
  if (out["next-hop-address"]) out["next-hop-address"] = canonicalIp(out["next-hop-address"]);
  if (out.source) out.source = canonicalIp(out.source);
  if (out["table-id"] === undefined || out["table-id"] === 0) out["table-id"] = DEFAULT_ROUTE_TABLE;
  // Weight 1 is the kernel's default nexthop weight: a single route has no weight, an ECMP member weight 1.
  if (out.weight === 1) delete out.weight;
  delete out.state;
  return out;
}

/** The fields that make a route a different route (the kernel's identity plus where it goes). */
const ROUTE_IDENTITY = ["destination", "table-id", "next-hop-interface", "next-hop-address", "route-type"] as const;

function routeDefaultMetric(route: Route): number {
  return route.destination && familyOfText(route.destination) === 6 ? 1024 : 0;
}

/** Whether `wanted` (a desired, non-absent entry) is already present as `have`. */
export function routeSatisfiedBy(wanted: Route, have: Route): boolean {
  const w = normaliseRoute(wanted);
  const h = normaliseRoute(have);
  for (const key of ROUTE_IDENTITY) if (w[key] !== h[key]) return false;
  const metric = w.metric ?? routeDefaultMetric(w);
  if ((h.metric ?? routeDefaultMetric(h)) !== metric) return false;
  for (const key of ["source", "weight", "cwnd", "initcwnd", "initrwnd", "mtu", "advmss", "quickack", "onlink"] as const) {
    if (w[key] !== undefined && w[key] !== h[key]) return false;
  }
  return true;
}

/**
 * Whether an absent entry matches a route on the host: its missing fields are
 * wildcards, and an empty string matches only a route without that field
 * (nmstate's "no value"; validation allows it for next-hop-address and source).
 */
export function routeMatchesAbsent(absent: Route, have: Route): boolean {
  const a = normaliseRoute(absent);
  const h = normaliseRoute(have);
  for (const key of Object.keys(absent) as (keyof Route)[]) {
    if (key === "state" || absent[key] === undefined) continue;
    if (absent[key] === "") {
      if (h[key] !== undefined && h[key] !== "") return false;
    } else if (a[key] !== h[key]) return false;
  }
  return true;
}

/**
 * The kernel keeps one route per (table, destination, metric): adding another
 * next hop for the same key replaces the route. Two such routes are one slot.
 */
export function kernelRouteKey(route: Route): string {
  const r = normaliseRoute(route);
  return `${r["table-id"]}|${r.destination}|${r.metric ?? routeDefaultMetric(r)}`;
}

export function mergeRoutes(desired: readonly Route[], current: readonly Route[]): MergedList<Route> {
  const absent = desired.filter((r) => r.state === "absent");
  const wanted = desired.filter((r) => r.state !== "absent").map(normaliseRoute);
  const displaced = (have: Route) => wanted.some((w) => kernelRouteKey(w) === kernelRouteKey(have) && !routeSatisfiedBy(w, have));
  const remove = current.filter(
    (have) => (absent.some((a) => routeMatchesAbsent(a, have)) || displaced(have)) && !wanted.some((w) => routeSatisfiedBy(w, have)),
  );
  const kept = current.filter((have) => !remove.includes(have));
  const add: Route[] = [];
  for (const w of wanted) {
    if (!kept.some((have) => routeSatisfiedBy(w, have)) && !add.some((a) => routeSatisfiedBy(w, a))) add.push(w);
  }
  return { merged: [...kept, ...add], add, remove };
}

export function normaliseRule(rule: RouteRule): RouteRule {
  const out: RouteRule = { ...rule };
  if (out["ip-from"]) out["ip-from"] = canonicalNetwork(out["ip-from"]);
  if (out["ip-to"]) out["ip-to"] = canonicalNetwork(out["ip-to"]);
  if (!out.family) {
    const family = familyOfText(out["ip-from"] ?? out["ip-to"] ?? "");
    if (family) out.family = family === 6 ? "ipv6" : "ipv4";
  }
  delete out.state;
  return out;
}

function ruleMatches(pattern: RouteRule, have: RouteRule, wildcard: boolean): boolean {
  const p = normaliseRule(pattern);
  const h = normaliseRule(have);
  const keys = new Set([...Object.keys(p), ...(wildcard ? [] : Object.keys(h))]) as Set<keyof RouteRule>;
  for (const key of keys) {
    if (wildcard && p[key] === undefined) continue;
    if (wildcard && p[key] === "") {
      if (h[key] !== undefined && h[key] !== "") return false;
      continue;
    }
    if (key === "family" && (p.family === undefined || h.family === undefined)) continue;
    // The kernel gives every rule a priority; one left unset in the desired state is any.
    if (key === "priority" && p.priority === undefined) continue;
    if (p[key] !== h[key]) return false;
  }
  return true;
}

export function mergeRules(desired: readonly RouteRule[], current: readonly RouteRule[]): MergedList<RouteRule> {
  const absent = desired.filter((r) => r.state === "absent");
  const wanted = desired.filter((r) => r.state !== "absent").map(normaliseRule);
  const remove = current.filter((have) => absent.some((a) => ruleMatches(a, have, true)) && !wanted.some((w) => ruleMatches(w, have, false)));
  const kept = current.filter((have) => !remove.includes(have));
  const add: RouteRule[] = [];
  for (const w of wanted) if (!kept.some((have) => ruleMatches(w, have, false)) && !add.some((a) => ruleMatches(w, a, false))) add.push(w);
  return { merged: [...kept, ...add], add, remove };
}
