/**
 * What a change would do, per interface (created, changed old → new, removed),
 * route, rule and DNS. Computed from the merged state, so it is exactly what
 * apply would plan.
 */
import { changeKind, type ChangeKind, type MergedState } from "./merge/index.ts";
import { normaliseInterface } from "./normalise.ts";
import { subnetOrdered } from "./plan/ipv4-order.ts";
import type { Interface } from "./schema/interface.ts";
import { deepEqual, flatten } from "./objects.ts";
import type { DnsConfig } from "./schema/dns.ts";
import type { Route, RouteRule } from "./schema/routes.ts";

export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

export interface InterfaceDiff {
  name: string;
  kind: ChangeKind;
  type?: string;
  changes: FieldChange[];
  /** Why the interface is touched when the user did not name it. */
  implied: string[];
}

export interface StateDiff {
  interfaces: InterfaceDiff[];
  routes: { add: Route[]; remove: Route[] };
  rules: { add: RouteRule[]; remove: RouteRule[] };
  dns?: { from: DnsConfig; to: DnsConfig };
  hostname?: { from?: string; to: string };
}

export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const changes: FieldChange[] = [];
  for (const [path, to] of b) {
    if (path === "name") continue;
    const from = a.get(path);
    if (!deepEqual(from, to)) changes.push({ path, ...(from !== undefined ? { from } : {}), to });
  }
  for (const [path, from] of a) {
    if (!b.has(path) && ![...b.keys()].some((k) => k.startsWith(`${path}.`))) changes.push({ path, from });
  }
  return changes.sort((x, y) => x.path.localeCompare(y.path));
}

/** The normalised interface, but with its IPv4 addresses in the order the plan keeps (see subnetOrdered). */
function comparable(iface: Interface): Interface {
  const out = normaliseInterface(iface);
  if (out.ipv4?.address) out.ipv4.address = subnetOrdered(iface.ipv4?.address ?? []);
  return out;
}

export function diffStates(merged: MergedState): StateDiff {
  const interfaces: InterfaceDiff[] = [];
  for (const m of [...merged.interfaces.values()].sort((x, y) => x.name.localeCompare(y.name))) {
    const kind = changeKind(m);
    if (kind === "remove" && !m.current) continue;
    const before = m.current ? comparable(m.current) : {};
    const after = kind === "remove" ? {} : comparable(m.merged);
    const changes = kind === "remove" ? [] : fieldChanges(before, after);
    if (kind === "change" && changes.length === 0) continue;
    const type = m.merged.type ?? m.current?.type;
    interfaces.push({ name: m.name, kind, ...(type ? { type } : {}), changes, implied: m.implied });
  }
  const diff: StateDiff = {
    interfaces,
    routes: { add: merged.routes.add, remove: merged.routes.remove },
    rules: { add: merged.rules.add, remove: merged.rules.remove },
  };
  if (merged.dns && !deepEqual(normaliseDns(merged.dns.current), normaliseDns(merged.dns.merged))) diff.dns = { from: merged.dns.current, to: merged.dns.merged };
  if (merged.hostname && merged.hostname.merged !== merged.hostname.current) {
    diff.hostname = { to: merged.hostname.merged, ...(merged.hostname.current !== undefined ? { from: merged.hostname.current } : {}) };
  }
  return diff;
}

export function normaliseDns(config: DnsConfig): DnsConfig {
  return { server: config.server ?? [], search: config.search ?? [], options: config.options ?? [] };
}

export function isEmptyDiff(diff: StateDiff): boolean {
  return (
    diff.interfaces.length === 0 &&
    diff.routes.add.length + diff.routes.remove.length + diff.rules.add.length + diff.rules.remove.length === 0 &&
    !diff.dns &&
    !diff.hostname
  );
}
