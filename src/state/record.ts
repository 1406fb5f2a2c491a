/**
 * The persisted record: what nodenet has declared on a host, accumulated over
 * every committed change, so that `nodenet boot` can declare it again after a
 * power cycle (ADR 0011).
 *
 * A change is usually partial — one policy names br1, the next one eth0's MTU —
 * so the record is a merge of declarations, not the last one:
 *   - an interface is laid over its recorded form (objects merge, lists replace);
 *   - an interface declared absent leaves the record, with the routes through it;
 *   - a port of a bridge or bond keeps no IP section (the controller owns the address);
 *   - routes and rules are additive, `state: absent` entries remove what they match;
 *   - DNS and the hostname are replaced whole.
 * The result is itself a plain nmstate state that `nodenet apply` accepts.
 */
import { declaredPorts, portLosesIp } from "./model.ts";
import { mergeRoutes, mergeRules } from "./merge/routes.ts";
import { clone, deepEqual, mergeDeep } from "./objects.ts";
import type { Interface } from "./schema/interface.ts";
import type { NetworkState } from "./schema/state.ts";

export function mergeRecord(record: NetworkState, declared: NetworkState): NetworkState {
  const byName = new Map<string, Interface>((record.interfaces ?? []).map((i) => [i.name, clone(i)]));
  const removed = new Set<string>();
  for (const iface of declared.interfaces ?? []) {
    if (iface.state === "ignore") continue;
    if (iface.state === "absent") {
      byName.delete(iface.name);
      removed.add(iface.name);
      continue;
    }
    const merged = mergeDeep(byName.get(iface.name) ?? { name: iface.name }, iface);
    delete merged.state;
    byName.set(iface.name, merged);
    removed.delete(iface.name);
  }
  for (const iface of byName.values()) {
    if (removed.size) dropPorts(iface, removed);
    if (!portLosesIp(iface.type)) continue;
    for (const port of declaredPorts(iface) ?? []) {
      const recorded = byName.get(port);
      if (!recorded) continue;
      delete recorded.ipv4;
      delete recorded.ipv6;
      delete recorded.controller;
    }
  }

  const out: NetworkState = {};
  const interfaces = [...byName.values()];
  if (interfaces.length) out.interfaces = interfaces;

  const through = (name: string | undefined) => name !== undefined && removed.has(name);
  const routes = mergeRoutes(declared.routes?.config ?? [], (record.routes?.config ?? []).filter((r) => !through(r["next-hop-interface"]))).merged;
  if (routes.length) out.routes = { config: routes.filter((r) => !through(r["next-hop-interface"])) };
  const rules = mergeRules(declared["route-rules"]?.config ?? [], record["route-rules"]?.config ?? []).merged;
  if (rules.length) out["route-rules"] = { config: rules };

  const dns = declared["dns-resolver"]?.config ?? record["dns-resolver"]?.config;
  if (dns !== undefined) out["dns-resolver"] = { config: clone(dns) };
  const hostname = declared.hostname?.config ?? record.hostname?.config;
  if (hostname !== undefined) out.hostname = { config: hostname };
  return out;
}

/** Takes the named interfaces out of a controller's port list. */
export function dropPorts(iface: Interface, gone: ReadonlySet<string>): void {
  if (iface.type === "linux-bridge" && iface.bridge?.port) iface.bridge.port = iface.bridge.port.filter((p) => !gone.has(p.name));
  else if (iface.type === "bond" && iface["link-aggregation"]?.port) iface["link-aggregation"].port = iface["link-aggregation"].port.filter((p) => !gone.has(p));
  else if (iface.type === "vrf" && iface.vrf?.port) iface.vrf.port = iface.vrf.port.filter((p) => !gone.has(p));
}

export const sameRecord = (a: NetworkState, b: NetworkState): boolean => deepEqual(a, b);
