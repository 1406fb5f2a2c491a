/**
 * How `nodenet boot` splits a persisted record (ADR 0011) so that one missing
 * NIC or one failing part cannot keep the rest of the node off the network:
 *
 *   - interfaces the host must already have (NICs) but does not are left out,
 *     with what stands on them (VLANs over them, their routes) and their place
 *     in a controller's port list;
 *   - the rest is cut into parts: interfaces tied together (controller and
 *     ports, VLAN and base, veth peers) with the routes through them;
 *   - the management part — the one the default route leaves through, declared
 *     or learned by DHCP — goes first, carrying DNS; route rules and routes through no interface of the
 *     record go last.
 */
import { isDefaultDestination } from "./ip-address.ts";
import { baseOf, declaredPorts } from "./model.ts";
import { clone } from "./objects.ts";
import { dropPorts } from "./record.ts";
import type { Interface } from "./schema/interface.ts";
import type { Route } from "./schema/routes.ts";
import type { NetworkState } from "./schema/state.ts";

export interface BootPart {
  /** For the log: "management: br0, eth0". */
  label: string;
  interfaces: string[];
  state: NetworkState;
}

export interface BootPlan {
  /** Recorded interfaces the host lacks and nodenet cannot create, with why each was left out. */
  missing: { name: string; reason: string }[];
  parts: BootPart[];
}

/** A NIC (or a veth whose peer is not declared) exists only when the hardware does: nodenet cannot create it. */
function mustExist(iface: Interface): boolean {
  return iface.type === undefined || iface.type === "ethernet" || (iface.type === "veth" && !iface.veth?.peer);
}

const isDefault = (r: Route) => isDefaultDestination(r.destination);

export function planBoot(record: NetworkState, hostInterfaces: ReadonlySet<string>): BootPlan {
  const interfaces = (record.interfaces ?? []).map(clone);
  const missing: BootPlan["missing"] = [];
  const gone = new Set<string>();
  for (const iface of interfaces) {
    if (mustExist(iface) && !hostInterfaces.has(iface.name)) {
      gone.add(iface.name);
      missing.push({ name: iface.name, reason: "no such interface on this host (NIC replaced, renamed or removed?)" });
    }
  }
  // What stands on a missing interface goes with it.
  for (let changed = true; changed; ) {
    changed = false;
    for (const iface of interfaces) {
      const base = baseOf(iface);
      if (!gone.has(iface.name) && base && gone.has(base)) {
        gone.add(iface.name);
        missing.push({ name: iface.name, reason: `its base interface ${base} is missing` });
        changed = true;
      }
    }
  }
  const kept = interfaces.filter((i) => !gone.has(i.name));
  for (const iface of kept) dropPorts(iface, gone);

  // Union-find over the ties between interfaces.
  const parent = new Map(kept.map((i) => [i.name, i.name]));
  const find = (n: string): string => {
    const p = parent.get(n)!;
    if (p === n) return n;
    const root = find(p);
    parent.set(n, root);
    return root;
  };
  const tie = (a: string, b: string | undefined) => {
    if (b === undefined || !parent.has(a) || !parent.has(b)) return;
    parent.set(find(a), find(b));
  };
  for (const iface of kept) {
    for (const port of declaredPorts(iface) ?? []) tie(iface.name, port);
    tie(iface.name, baseOf(iface));
    if (iface.type === "veth") tie(iface.name, iface.veth?.peer);
    tie(iface.name, iface.controller);
  }

  const routes = (record.routes?.config ?? []).filter((r) => !gone.has(r["next-hop-interface"] ?? ""));
  const groups = new Map<string, { interfaces: Interface[]; routes: Route[] }>();
  for (const iface of kept) {
    const root = find(iface.name);
    if (!groups.has(root)) groups.set(root, { interfaces: [], routes: [] });
    groups.get(root)!.interfaces.push(iface);
  }
  const loose: Route[] = [];
  for (const route of routes) {
    const via = route["next-hop-interface"];
    const group = via && parent.has(via) ? groups.get(find(via)) : undefined;
    if (group) group.routes.push(route);
    else loose.push(route);
  }
  for (const route of record.routes?.config ?? []) {
    const via = route["next-hop-interface"];
    if (via && gone.has(via)) missing.push({ name: via, reason: `route to ${route.destination ?? "?"} not applied` });
  }

  const ordered = [...groups.values()];
  // The default route is declared, or learned by DHCP (auto-gateway on, as by default).
  const learnsGateway = (i: Interface) => (i.ipv4?.dhcp === true && i.ipv4["auto-gateway"] !== false) || (i.ipv6?.dhcp === true && i.ipv6["auto-gateway"] !== false) || (i.ipv6?.autoconf === true && i.ipv6["auto-gateway"] !== false);
  const declared = ordered.findIndex((g) => g.routes.some(isDefault));
  const management = declared >= 0 ? declared : ordered.findIndex((g) => g.interfaces.some(learnsGateway));
  if (management > 0) ordered.unshift(...ordered.splice(management, 1));
  const parts: BootPart[] = ordered.map((g, index) => {
    const state: NetworkState = { interfaces: g.interfaces };
    if (g.routes.length) state.routes = { config: g.routes };
    const first = index === 0;
    if (first && record["dns-resolver"]) state["dns-resolver"] = clone(record["dns-resolver"]);
    if (first && record.hostname) state.hostname = clone(record.hostname);
    const names = g.interfaces.map((i) => i.name);
    return { label: `${first && management >= 0 ? "management: " : ""}${names.join(", ")}`, interfaces: names, state };
  });
  const rest: NetworkState = {};
  if (loose.length) rest.routes = { config: loose };
  if (record["route-rules"]) rest["route-rules"] = clone(record["route-rules"]);
  if (!parts.length) {
    if (record["dns-resolver"]) rest["dns-resolver"] = clone(record["dns-resolver"]);
    if (record.hostname) rest.hostname = clone(record.hostname);
  }
  if (Object.keys(rest).length) parts.push({ label: "routes and rules", interfaces: [], state: rest });
  return { missing, parts };
}

