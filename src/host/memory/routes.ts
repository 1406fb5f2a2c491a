/**
 * Routes and rules with the kernel's rules of admission, as measured on Linux
 * 6.x:
 *
 * - a route needs its device up ("Device for nexthop is not up") and a
 *   gateway reachable through a connected subnet or a device route of that
 *   device ("Nexthop has invalid gateway"; IPv6 "No route to host"), unless
 *   `onlink`; a route without a device takes the one its gateway is reached by;
 * - `ip route replace` (how routes are added) replaces the route with the
 *   same table, destination and metric, whatever its next hop;
 * - `ip route del` removes the first route matching the fields it names;
 * - a rule without a priority gets the one below the first rule after
 *   `local` (32765, 32764, …), so adding it twice adds it twice; with a
 *   priority, an identical rule is refused ("File exists").
 *
 * What takes routes away (link down, address removal, link deletion) is in
 * `flushRoutes` and its callers.
 */
import { canonicalIp, familyOfText, isLinkLocal, networkContains, parseIp, parseNetwork, type IpNetwork } from "../../state/ip-address.ts";
import { normaliseRoute, normaliseRule } from "../../state/merge/index.ts";
import { deepEqual } from "../../state/objects.ts";
import type { Route, RouteRule } from "../../state/schema/routes.ts";
import { fail, getLink, kernelErrors, type Family, type MemHost, type MemLink, type MemRoute } from "./model.ts";

export const routeFamily = (route: Route): Family => {
  const family = familyOfText(route.destination ?? "") ?? familyOfText(route["next-hop-address"] ?? "");
  return family === 6 ? "ipv6" : "ipv4";
};

const defaultMetric = (family: Family) => (family === "ipv6" ? 1024 : 0);

/** A route as the kernel stores it: every identity field explicit. */
export function storedRoute(route: Route): Route {
  const family = routeFamily(route);
  const out = normaliseRoute({ ...route, destination: route.destination ?? (family === "ipv6" ? "::/0" : "0.0.0.0/0") });
  out.metric ??= defaultMetric(family);
  return out;
}

/** Subnets a gateway can be reached through on `link`: its connected subnets and its device routes. */
function reachableNetworks(host: MemHost, link: MemLink, family: Family): IpNetwork[] {
  if (!link.up) return [];
  const nets: IpNetwork[] = [];
  for (const a of link.addresses[family]) {
    const net = parseNetwork(`${a.ip}/${a.prefix}`);
    if (net) nets.push(net);
  }
  for (const { route } of host.routes) {
    if (route["next-hop-interface"] !== link.name || route["next-hop-address"] || route["route-type"]) continue;
    const net = parseNetwork(route.destination ?? "");
    if (net && routeFamily(route) === family) nets.push(net);
  }
  return nets;
}

function checkNextHop(host: MemHost, route: Route, family: Family): string | undefined {
  const dev = route["next-hop-interface"];
  const link = dev ? getLink(host, dev) : undefined;
  if (link && !link.up) fail(family === "ipv4" ? "Error: Device for nexthop is not up." : "Error: Nexthop device is not up.");
  const gateway = route["next-hop-address"] ? parseIp(route["next-hop-address"]) : undefined;
  const unreachable = () => fail(family === "ipv4" ? "Error: Nexthop has invalid gateway." : "RTNETLINK answers: No route to host");
  if (!gateway) return dev ?? fail("RTNETLINK answers: No such device");
  if (route.onlink || (family === "ipv6" && isLinkLocal(gateway))) return dev ?? unreachable();
  const candidates = link ? [link] : [...host.links.values()];
  const via = candidates.find((l) => reachableNetworks(host, l, family).some((n) => networkContains(n, gateway)));
  return via ? via.name : unreachable();
}

function checkSource(host: MemHost, source: string, family: Family): void {
  const ip = canonicalIp(source);
  const local = [...host.links.values()].some((l) => l.addresses[family].some((a) => a.ip === ip));
  if (!local) fail(family === "ipv4" ? "Error: Invalid prefsrc address." : "RTNETLINK answers: Invalid argument");
}

const sameSlot = (a: Route, b: Route) =>
  routeFamily(a) === routeFamily(b) && a.destination === b.destination && a["table-id"] === b["table-id"] && a.metric === b.metric;

/** `ip route replace … proto static|dhcp` */
export function addRoute(host: MemHost, input: Route, proto: MemRoute["proto"] = "static"): void {
  const route = storedRoute(input);
  const family = routeFamily(route);
  if (!route["route-type"]) route["next-hop-interface"] = checkNextHop(host, route, family);
  if (route.source) checkSource(host, route.source, family);
  host.routes = host.routes.filter((r) => !sameSlot(r.route, route));
  host.routes.push({ route, proto });
}

/**
 * `ip route replace DEST … nexthop … nexthop …`: the slot holds exactly these
 * routes afterwards, each nexthop checked as the kernel checks it and kept as
 * its own entry (as the kernel reader flattens a multipath route), weight 1
 * when none is given.
 */
export function addMultipathRoute(host: MemHost, inputs: readonly Route[]): void {
  const routes = inputs.map((input) => {
    const route = storedRoute({ ...input, weight: input.weight ?? 1 });
    route["next-hop-interface"] = checkNextHop(host, route, routeFamily(route));
    return route;
  });
  host.routes = host.routes.filter((r) => !sameSlot(r.route, routes[0]!));
  for (const route of routes) host.routes.push({ route, proto: "static" });
}

/** `ip route del …`: the fields it names must match; the others are wildcards. */
export function deleteRoute(host: MemHost, input: Route): void {
  const family = routeFamily(input);
  const wanted = normaliseRoute({ ...input, destination: input.destination ?? (family === "ipv6" ? "::/0" : "0.0.0.0/0") });
  const keys = ["destination", "table-id", "next-hop-interface", "next-hop-address", "metric", "route-type", "source"] as const;
  const index = host.routes.findIndex(
    ({ route }) => routeFamily(route) === family && keys.every((k) => wanted[k] === undefined || wanted[k] === route[k]),
  );
  if (index < 0) fail("RTNETLINK answers: No such process");
  host.routes.splice(index, 1);
}

/** Removes routes (configured and DHCP-learned) that `drop` selects. */
export function flushRoutes(host: MemHost, drop: (route: Route) => boolean): void {
  host.routes = host.routes.filter((r) => !drop(r.route));
}

export const viaLink = (name: string, family?: Family) => (route: Route) =>
  route["next-hop-interface"] === name && (family === undefined || routeFamily(route) === family);

const ruleFamily = (rule: RouteRule) => rule.family ?? "ipv4";

/** `ip rule add …` */
export function addRule(host: MemHost, input: RouteRule): void {
  const rule = normaliseRule(input);
  rule.family ??= "ipv4";
  if (rule.priority === undefined) {
    // fib_default_rule_pref: one below the first rule after `local` (main is 32766).
    const prefs = host.rules.filter((r) => ruleFamily(r) === rule.family && r.priority! > 0).map((r) => r.priority!);
    rule.priority = Math.min(32766, ...prefs) - 1;
  } else if (host.rules.some((r) => deepEqual(r, rule))) {
    throw kernelErrors.exists();
  }
  host.rules.push(rule);
}

/** `ip rule del …`: the first rule matching the fields it names. */
export function deleteRule(host: MemHost, input: RouteRule): void {
  const wanted = normaliseRule(input);
  const family = wanted.family ?? "ipv4";
  const index = host.rules.findIndex(
    (r) => ruleFamily(r) === family && Object.entries(wanted).every(([k, v]) => k === "family" || v === undefined || deepEqual(v, r[k as keyof RouteRule])),
  );
  if (index < 0) fail("RTNETLINK answers: No such file or directory");
  host.rules.splice(index, 1);
}
