/**
 * The merged state: everything a change touches, each part with its current
 * and target forms. This one merge serves `diff`, `apply` (plan + verify) and
 * the revert state that rollback applies.
 */
import type { DnsConfig } from "../schema/dns.ts";
import type { Route, RouteRule } from "../schema/routes.ts";
import type { NetworkState } from "../schema/state.ts";
import { mergeInterfaces, type MergedInterface } from "./interfaces.ts";
import { mergeRoutes, mergeRules, type MergedList } from "./routes.ts";

export { changeKind, mergeInterfaces, type ChangeKind, type MergedInterface } from "./interfaces.ts";
export { mergeRoutes, mergeRules, normaliseRoute, normaliseRule, routeMatchesAbsent, routeSatisfiedBy, type MergedList } from "./routes.ts";

export interface MergedState {
  desired: NetworkState;
  current: NetworkState;
  interfaces: Map<string, MergedInterface>;
  routes: MergedList<Route>;
  rules: MergedList<RouteRule>;
  /** Present when the desired state sets the DNS configuration (replacing it whole). */
  dns?: { current: DnsConfig; merged: DnsConfig };
  hostname?: { current?: string; merged: string };
}

export interface MergeOptions {
  /**
   * The desired state is a revert state (an earlier reading of the host): its
   * sections say what was, so nothing is implied from them — an IPv6 section
   * without `accept-ra` (a switch not read before the change) leaves the
   * switch alone, also on a link the rollback re-creates.
   */
  restoring?: boolean;
}

export function mergeStates(desired: NetworkState, current: NetworkState, options: MergeOptions = {}): MergedState {
  const merged: MergedState = {
    desired,
    current,
    interfaces: mergeInterfaces(desired.interfaces ?? [], current.interfaces ?? [], options),
    routes: mergeRoutes(desired.routes?.config ?? [], current.routes?.config ?? []),
    rules: mergeRules(desired["route-rules"]?.config ?? [], current["route-rules"]?.config ?? []),
  };
  const dns = desired["dns-resolver"]?.config;
  if (dns) merged.dns = { current: current["dns-resolver"]?.config ?? {}, merged: dns };
  const hostname = desired.hostname?.config;
  if (hostname !== undefined) merged.hostname = { merged: hostname, ...(current.hostname?.running !== undefined ? { current: current.hostname.running } : {}) };
  return merged;
}
