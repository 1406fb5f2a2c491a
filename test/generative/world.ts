/**
 * The generative test's world: a fixed pool of interfaces, addresses, routes
 * and rules, and fast-check arbitraries that pick, per step, what each of them
 * should be. A step is turned into an ordinary desired state (`stepState`), so
 * a shrunk failure is a list of YAML documents a user can `nodenet apply`.
 *
 * Every step is valid by construction: a port, route or rule only names
 * interfaces the same step declares up, so the engine — not the generator —
 * is what a failure blames. Each pool member is chosen independently per step,
 * which is what makes ports move between bridges, pairs appear and vanish and
 * routes outlive or lose their interfaces across steps.
 */
import fc from "fast-check";
import type { NetworkState } from "../../src/state/schema/state.ts";
import type { Interface } from "../../src/state/schema/interface.ts";

/** What kinds the kernel under test can create: namespaces lack bond/vlan/dummy/vrf, UML has them. */
export type Kinds = "namespace" | "uml";

export const PAIRS = 3;
export const BRIDGES = ["gbr0", "gbr1"] as const;
const PEER = (i: number) => `gvb${i}`;
const END = (i: number) => `gva${i}`;

type Presence = "up" | "down" | "absent" | "ignore" | "omit";

export interface IpChoice {
  /** Host parts within the interface's /28 (v4) and /64 (v6); empty = no address. */
  v4: number[];
  v6: number[];
  /** `ipv6: {enabled: false}` instead of v6 addresses. */
  v6Disabled: boolean;
}

export interface PortChoice {
  /** Index into BRIDGES, or -1 for no bridge. */
  bridge: number;
  /**
   * Declare the peer itself (`type: veth` naming its end as peer), or only name it as a port. Not generated:
   * the peer as `type: ethernet` or as a veth without `veth.peer` — refused for a pair the same state creates.
   */
  declare: "no" | "veth";
  vlan: "none" | { mode: "access"; tag: number } | { mode: "trunk"; tags: number[] };
}

export interface Step {
  pairs: { presence: Presence; ip: IpChoice; mtu: number | undefined; port: PortChoice }[];
  bridges: { presence: Presence; ip: IpChoice; vlanFiltering: boolean }[];
  macvlan: { presence: Presence; mode: "bridge" | "vepa" | "private"; ip: IpChoice };
  vxlan: { presence: Presence; id: number; port: number };
  /** UML only. */
  extra: { dummy: Presence; dummyIp: IpChoice; vlan: { presence: Presence; id: number }; bond: { presence: Presence; mode: "active-backup" | "balance-rr" }; vrf: { presence: Presence; table: number } };
  routes: { presence: "present" | "absent" | "omit"; table: number; metric: number; v6: boolean }[];
  rules: { presence: "present" | "absent" | "omit"; table: number }[];
  dns: "omit" | { servers: number[]; search: boolean };
}

// constantFrom shrinks toward its first value, so a shrunk failure declares as little as it can ("omit");
// repeats weight the choice (mostly up).
const anyPresence = fc.constantFrom<Presence>("omit", "up", "up", "up", "omit", "up", "absent", "down", "up", "absent", "ignore", "up");
const hostParts = fc.uniqueArray(fc.integer({ min: 2, max: 6 }), { maxLength: 2 });
const ipChoice: fc.Arbitrary<IpChoice> = fc.record({ v4: hostParts, v6: hostParts, v6Disabled: fc.boolean() });
const vlanChoice = fc.oneof(
  { arbitrary: fc.constant("none" as const), weight: 3 },
  fc.record({ mode: fc.constant("access" as const), tag: fc.integer({ min: 10, max: 12 }) }),
  fc.record({ mode: fc.constant("trunk" as const), tags: fc.uniqueArray(fc.integer({ min: 20, max: 23 }), { minLength: 1, maxLength: 2 }) }),
);

export function stepArbitrary(kinds: Kinds): fc.Arbitrary<Step> {
  const absentOnly = fc.constant<Presence>("omit");
  return fc.record({
    pairs: fc.array(
      fc.record({
        presence: anyPresence,
        ip: ipChoice,
        mtu: fc.option(fc.constantFrom(1400, 1500), { nil: undefined }),
        // This machine's kernel has no bridge VLAN filtering (ip link … vlan_filtering 1: "Operation not supported"); UML's has.
        port: fc.record({ bridge: fc.integer({ min: -1, max: BRIDGES.length - 1 }), declare: fc.constantFrom("no" as const, "veth" as const), vlan: kinds === "uml" ? vlanChoice : fc.constant("none" as const) }),
      }),
      { minLength: PAIRS, maxLength: PAIRS },
    ),
    bridges: fc.array(fc.record({ presence: anyPresence, ip: ipChoice, vlanFiltering: fc.boolean() }), { minLength: BRIDGES.length, maxLength: BRIDGES.length }),
    macvlan: fc.record({ presence: anyPresence, mode: fc.constantFrom("bridge" as const, "vepa" as const, "private" as const), ip: ipChoice }),
    vxlan: fc.record({ presence: anyPresence, id: fc.integer({ min: 100, max: 101 }), port: fc.constantFrom(4789, 8472) }),
    extra: fc.record({
      dummy: kinds === "uml" ? anyPresence : absentOnly,
      dummyIp: ipChoice,
      vlan: fc.record({ presence: kinds === "uml" ? anyPresence : absentOnly, id: fc.integer({ min: 30, max: 31 }) }),
      bond: fc.record({ presence: kinds === "uml" ? anyPresence : absentOnly, mode: fc.constantFrom("active-backup" as const, "balance-rr" as const) }),
      vrf: fc.record({ presence: kinds === "uml" ? anyPresence : absentOnly, table: fc.constantFrom(300, 301) }),
    }),
    routes: fc.array(fc.record({ presence: fc.constantFrom("omit" as const, "present" as const, "absent" as const), table: fc.constantFrom(254, 100, 200), metric: fc.constantFrom(50, 100), v6: fc.boolean() }), { minLength: 3, maxLength: 3 }),
    rules: fc.array(fc.record({ presence: fc.constantFrom("omit" as const, "present" as const, "absent" as const), table: fc.constantFrom(100, 200) }), { minLength: 2, maxLength: 2 }),
    dns: fc.oneof(fc.constant("omit" as const), fc.record({ servers: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }), search: fc.boolean() })),
  });
}

export function sequenceArbitrary(kinds: Kinds, maxSteps: number): fc.Arbitrary<Step[]> {
  return fc.array(stepArbitrary(kinds), { minLength: 1, maxLength: maxSteps });
}

/** Each L3 interface owns 192.0.2.(16·slot)/28 and 2001:db8:slot::/64, so no two ever share a subnet. */
const SLOTS: Record<string, number> = { gva0: 1, gva1: 2, gva2: 3, gbr0: 4, gbr1: 5, gmv0: 6, gdm0: 7 };
const v4Of = (name: string, host: number) => `192.0.2.${16 * SLOTS[name]! + host}`;
const v6Of = (name: string, host: number) => `2001:db8:${SLOTS[name]!}::${host}`;

function ipSections(name: string, ip: IpChoice): Pick<Interface, "ipv4" | "ipv6"> {
  return {
    ipv4: ip.v4.length ? { enabled: true, address: ip.v4.map((h) => ({ ip: v4Of(name, h), "prefix-length": 28 })) } : { enabled: false },
    ipv6: ip.v6Disabled ? { enabled: false } : { enabled: true, address: ip.v6.map((h) => ({ ip: v6Of(name, h), "prefix-length": 64 })) },
  };
}

function ifaceState(presence: Presence): Interface["state"] | undefined {
  return presence === "omit" ? undefined : presence;
}

/** The desired state a step declares. */
export function stepState(step: Step): NetworkState {
  const interfaces: Interface[] = [];
  const up = new Set<string>();
  /** Interfaces this step declares up with an IPv4 address (routes go through them). */
  const routable: { name: string; ip: IpChoice }[] = [];
  const l3 = (iface: Interface, ip: IpChoice) => {
    Object.assign(iface, ipSections(iface.name, ip));
    if (iface.state === "up" && ip.v4.length) routable.push({ name: iface.name, ip });
  };
  const simple = (name: string, type: Interface["type"], presence: Presence, rest: Partial<Interface> = {}): Interface | undefined => {
    if (presence === "omit") return undefined;
    const iface: Interface = { name, type, state: ifaceState(presence)!, ...(presence === "up" || presence === "down" ? rest : {}) };
    interfaces.push(iface);
    if (presence === "up") up.add(name);
    return iface;
  };

  const ports: string[][] = BRIDGES.map(() => []);
  const portVlan = new Map<string, PortChoice["vlan"]>();
  step.pairs.forEach((pair, i) => {
    const iface = simple(END(i), "veth", pair.presence, { veth: { peer: PEER(i) }, ...(pair.mtu ? { mtu: pair.mtu } : {}) });
    if (iface && (pair.presence === "up" || pair.presence === "down")) l3(iface, pair.ip);
    if (pair.presence === "up" && pair.port.bridge >= 0 && step.bridges[pair.port.bridge]!.presence === "up") {
      ports[pair.port.bridge]!.push(PEER(i));
      portVlan.set(PEER(i), pair.port.vlan);
      if (pair.port.declare !== "no") {
        interfaces.push({ name: PEER(i), type: "veth", state: "up", veth: { peer: END(i) } });
        up.add(PEER(i));
      }
    }
  });
  BRIDGES.forEach((name, b) => {
    const choice = step.bridges[b]!;
    const filtering = choice.vlanFiltering;
    const iface = simple(name, "linux-bridge", choice.presence, {
      bridge: {
        options: { stp: { enabled: false } },
        port: ports[b]!.map((port) => {
          const vlan = portVlan.get(port);
          if (!filtering || !vlan || vlan === "none") return { name: port };
          return vlan.mode === "access" ? { name: port, vlan: { mode: "access", tag: vlan.tag } } : { name: port, vlan: { mode: "trunk", "trunk-tags": vlan.tags.map((id) => ({ id })) } };
        }),
      },
    });
    if (iface && (choice.presence === "up" || choice.presence === "down")) l3(iface, choice.ip);
  });

  // mac-vlan and vxlan ride on gva1 / gva0: they are declared only when their base is declared up in the same step.
  if (up.has(END(1)) || step.macvlan.presence === "absent") {
    const mv = simple("gmv0", "mac-vlan", step.macvlan.presence, { "mac-vlan": { "base-iface": END(1), mode: step.macvlan.mode } });
    if (mv && (step.macvlan.presence === "up" || step.macvlan.presence === "down")) l3(mv, step.macvlan.ip);
  }
  if (up.has(END(0)) || step.vxlan.presence === "absent") {
    simple("gvx0", "vxlan", step.vxlan.presence, { vxlan: { id: step.vxlan.id, "base-iface": END(0), remote: "192.0.2.250", "destination-port": step.vxlan.port } });
  }
  const dm = simple("gdm0", "dummy", step.extra.dummy);
  if (dm && (step.extra.dummy === "up" || step.extra.dummy === "down")) l3(dm, step.extra.dummyIp);
  if (up.has(END(2)) || step.extra.vlan.presence === "absent") {
    simple(`gva2.${step.extra.vlan.id}`, "vlan", step.extra.vlan.presence, { vlan: { "base-iface": END(2), id: step.extra.vlan.id } });
  }
  if (step.extra.bond.presence !== "omit") {
    simple("gbond0", "bond", step.extra.bond.presence, { "link-aggregation": { mode: step.extra.bond.mode, port: [] } });
  }
  simple("gvrf0", "vrf", step.extra.vrf.presence, { vrf: { port: [], "route-table-id": step.extra.vrf.table } } as Partial<Interface>);

  const config: NonNullable<NetworkState["routes"]>["config"] = [];
  step.routes.forEach((route, r) => {
    const via = routable[r % Math.max(routable.length, 1)];
    const destination = route.v6 ? `2001:db8:ff${r}::/64` : `198.51.100.${16 * r}/28`;
    const base = { destination, metric: route.metric, "table-id": route.table };
    if (route.presence === "absent") config.push({ ...base, state: "absent" });
    if (route.presence === "present" && via) {
      const v6 = route.v6 && via.ip.v6.length > 0 && !via.ip.v6Disabled;
      if (route.v6 && !v6) return;
      config.push({ ...base, "next-hop-interface": via.name, "next-hop-address": v6 ? v6Of(via.name, 1) : v4Of(via.name, 1) });
    }
  });
  const rules = step.rules.flatMap((rule, r) => {
    const base = { "ip-from": `203.0.113.${r + 1}/32`, priority: 1000 + r, "route-table": rule.table };
    if (rule.presence === "absent") return [{ ...base, state: "absent" as const }];
    return rule.presence === "present" ? [base] : [];
  });
  const state: NetworkState = { interfaces };
  if (config.length) state.routes = { config };
  if (rules.length) state["route-rules"] = { config: rules };
  if (step.dns !== "omit") {
    const servers = ["192.0.2.53", "2001:db8::53", "198.51.100.53"];
    state["dns-resolver"] = { config: { server: step.dns.servers.map((s) => servers[s]!), search: step.dns.search ? ["example.com"] : [] } };
  }
  return state;
}
