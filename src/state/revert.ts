/**
 * The undo of a change, as data: a desired state that, applied after the
 * change, puts back everything the change touches. Interfaces the change
 * creates are removed; interfaces it changes or removes come back whole (type,
 * ports, options, addresses, DHCP, state); routes and rules it adds are
 * removed and those it removes (or that vanish with a touched interface) are
 * added again; DNS returns to what it was. A checkpoint is this state on disk,
 * and rollback is just another apply of it.
 */
import { clone } from "./objects.ts";
import type { MergedState } from "./merge/index.ts";
import { normaliseRoute, normaliseRule } from "./merge/index.ts";
import type { Interface } from "./schema/interface.ts";
import type { Route, RouteRule } from "./schema/routes.ts";
import type { NetworkState } from "./schema/state.ts";

const REPORT_ONLY = ["min-mtu", "max-mtu", "permanent-mac-address"] as const;

function restorable(iface: Interface): Interface {
  const out = clone(iface);
  for (const key of REPORT_ONLY) delete out[key];
  // State the relationship explicitly so a port the change attached is detached again.
  if (out.controller === undefined) out.controller = "";
  for (const family of ["ipv4", "ipv6"] as const) {
    const ip = out[family];
    if (!ip || ip.enabled === false || (!ip.dhcp && !(ip as { autoconf?: boolean }).autoconf && !ip.address?.length)) {
      // IPv6 that was on without addresses stays on: `enabled: false` would turn the interface's IPv6 off.
      out[family] = family === "ipv6" && ip?.enabled === true ? { enabled: true, address: [] } : { enabled: false };
      // The router-advertisement switch goes back as it was (an apply of an IPv6 section sets it).
      const acceptRa = (ip as { "accept-ra"?: number } | undefined)?.["accept-ra"];
      if (family === "ipv6" && acceptRa !== undefined) (out.ipv6 as { "accept-ra"?: number })["accept-ra"] = acceptRa;
    } else {
      for (const address of ip.address ?? []) {
        delete address["valid-life-time"];
        delete address["preferred-life-time"];
      }
      ip.address ??= [];
    }
  }
  if (out.description === undefined) out.description = "";
  return out;
}

export function revertState(merged: MergedState): NetworkState {
  const interfaces: Interface[] = [];
  for (const m of merged.interfaces.values()) {
    if (m.current) {
      if (m.current.state !== "ignore") interfaces.push(restorable(m.current));
    } else if (m.merged.state !== "absent") {
      interfaces.push({ name: m.name, ...(m.merged.type ? { type: m.merged.type } : {}), state: "absent" });
    }
  }
  const touched = new Set(merged.interfaces.keys());
  const currentRoutes = merged.current.routes?.config ?? [];
  const routes: Route[] = [
    ...merged.routes.add.map((r) => ({ ...normaliseRoute(r), state: "absent" as const })),
    ...currentRoutes.filter((r) => merged.routes.remove.includes(r) || touched.has(r["next-hop-interface"] ?? "")).map(normaliseRoute),
  ];
  const rules: RouteRule[] = [
    ...merged.rules.add.map((r) => ({ ...normaliseRule(r), state: "absent" as const })),
    ...merged.rules.remove.map(normaliseRule),
  ];
  const revert: NetworkState = { interfaces };
  if (routes.length) revert.routes = { config: routes };
  if (rules.length) revert["route-rules"] = { config: rules };
  if (merged.dns) revert["dns-resolver"] = { config: merged.dns.current };
  if (merged.hostname?.current !== undefined) revert.hostname = { config: merged.hostname.current };
  return revert;
}
