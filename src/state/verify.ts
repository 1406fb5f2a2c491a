/**
 * After apply, the host is read back and every key the user declared (and
 * every change it implied) must hold. Never trust what apply said it did.
 */
import { normaliseDns } from "./diff.ts";
import type { MergedState } from "./merge/index.ts";
import { normaliseRoute, normaliseRule, routeMatchesAbsent, routeSatisfiedBy } from "./merge/index.ts";
import { sameType } from "./model.ts";
import { normaliseInterface } from "./normalise.ts";
import { deepEqual, flatten, isPlainObject } from "./objects.ts";
import { bridgeOptionEqual, vlanTable, DEFAULT_PORT_VLAN } from "./plan/bridge.ts";
import type { Interface } from "./schema/interface.ts";
import type { NetworkState } from "./schema/state.ts";

export interface Mismatch {
  /** `interfaces.br0.ipv4.address`, `routes`, `dns-resolver` … */
  path: string;
  expected: unknown;
  actual: unknown;
}

export function formatMismatch(m: Mismatch): string {
  const show = (v: unknown) => (v === undefined ? "(nothing)" : JSON.stringify(v));
  return `${m.path}: expected ${show(m.expected)}, found ${show(m.actual)}`;
}

function get(value: unknown, path: string[]): unknown {
  let node = value;
  for (const key of path) node = isPlainObject(node) ? node[key] : undefined;
  return node;
}

const NIC_TYPES = new Set(["ethernet", "loopback", "unknown"]);

function verifyIp(path: string, family: "ipv4" | "ipv6", declared: Interface, want: Interface, have: Interface, out: Mismatch[]): void {
  const w = want[family] as Record<string, unknown> & { address?: { ip: string; "prefix-length": number }[] };
  const h = have[family] as Record<string, unknown> & { address?: { ip: string; "prefix-length": number }[] };
  const asked = (declared[family] ?? {}) as Record<string, unknown>;
  const dynamic = Boolean(w.dhcp || w.autoconf);
  // The address source is always checked; settings only when they were declared.
  for (const key of ["enabled", "dhcp", "autoconf", "auto-dns", "auto-gateway", "auto-routes", "auto-route-table-id", "auto-route-metric", "forwarding", "accept-ra"]) {
    if (w[key] === undefined || (key === "enabled" && dynamic)) continue;
    if (!["enabled", "dhcp", "autoconf"].includes(key) && asked[key] === undefined) continue;
    if (!deepEqual(w[key], h[key] ?? (key === "dhcp" || key === "autoconf" ? false : undefined))) out.push({ path: `${path}.${family}.${key}`, expected: w[key], actual: h[key] });
  }
  const wantAddresses = (w.address ?? []).map((a) => `${a.ip}/${a["prefix-length"]}`);
  const haveAddresses = (h.address ?? []).map((a) => `${a.ip}/${a["prefix-length"]}`);
  const missing = wantAddresses.filter((a) => !haveAddresses.includes(a));
  const extra = haveAddresses.filter((a) => !wantAddresses.includes(a));
  // DHCP/SLAAC addresses come and go on their own; only the static ones are ours to check.
  const tolerateExtra = dynamic || Boolean((want[family] as { "allow-extra-address"?: boolean } | undefined)?.["allow-extra-address"]);
  if (missing.length || (extra.length && !tolerateExtra)) out.push({ path: `${path}.${family}.address`, expected: wantAddresses, actual: haveAddresses });
}

function verifyInterface(name: string, declared: Interface, target: Interface, actual: Interface | undefined, out: Mismatch[]): void {
  const path = `interfaces.${name}`;
  if (declared.state === "absent") {
    if (actual && !NIC_TYPES.has(actual.type ?? "unknown")) out.push({ path, expected: "absent", actual: "present" });
    if (actual && NIC_TYPES.has(actual.type ?? "unknown") && actual.state !== "down") out.push({ path: `${path}.state`, expected: "down", actual: actual.state });
    return;
  }
  if (!actual) {
    out.push({ path, expected: "present", actual: "absent" });
    return;
  }
  const want = normaliseInterface(target);
  const have = normaliseInterface(actual);
  const checked = new Set<string>();
  for (const key of flatten(declared).keys()) {
    const parts = key.split(".");
    const top = parts[0]!;
    if (top === "name" || top === "copy-mac-from" || top === "lldp" || top === "ethernet" || top === "min-mtu" || top === "max-mtu" || top === "permanent-mac-address") continue;
    if (top === "ipv4" || top === "ipv6") {
      if (!checked.has(top)) verifyIp(path, top, declared, want, have, out);
      checked.add(top);
      continue;
    }
    if (top === "type") {
      if (!sameType(want.type, have.type)) out.push({ path: `${path}.type`, expected: want.type, actual: have.type });
      continue;
    }
    if (top === "bridge" && parts[1] === "port") {
      if (checked.has("bridge.port")) continue;
      checked.add("bridge.port");
      verifyBridgePorts(path, want, have, Boolean(want.bridge?.options?.["allow-extra-ports"]), out);
      continue;
    }
    if (key === "bridge.options.allow-extra-ports" || key === "ipv4.allow-extra-address") continue;
    const expected = get(want, parts);
    let actualValue = get(have, parts);
    if (key === "description" && actualValue === undefined) actualValue = "";
    if (key === "controller" && actualValue === undefined) actualValue = "";
    const expectedValue = key === "controller" && expected === undefined ? "" : expected;
    if (!deepEqual(expectedValue, actualValue) && !bridgeOptionEqual(key.split(".").at(-1) ?? key, expectedValue, actualValue)) out.push({ path: `${path}.${key}`, expected: expectedValue, actual: actualValue });
  }
}

function verifyBridgePorts(path: string, want: Interface, have: Interface, allowExtra: boolean, out: Mismatch[]): void {
  const wantPorts = want.bridge?.port ?? [];
  const havePorts = have.bridge?.port ?? [];
  const wantNames = wantPorts.map((p) => p.name);
  const haveNames = havePorts.map((p) => p.name);
  const missing = wantNames.filter((n) => !haveNames.includes(n));
  const extra = haveNames.filter((n) => !wantNames.includes(n));
  if (missing.length || (extra.length && !allowExtra)) out.push({ path: `${path}.bridge.port`, expected: wantNames, actual: haveNames });
  const filtering = wantPorts.some((p) => p.vlan);
  for (const port of wantPorts) {
    const actual = havePorts.find((p) => p.name === port.name);
    if (!actual) continue;
    for (const key of ["stp-priority", "stp-path-cost", "stp-hairpin-mode"] as const) {
      if (port[key] !== undefined && port[key] !== actual[key]) out.push({ path: `${path}.bridge.port.${port.name}.${key}`, expected: port[key], actual: actual[key] });
    }
    if (filtering) {
      const w = [...vlanTable(port.vlan ?? DEFAULT_PORT_VLAN)].sort(([a], [b]) => a - b);
      const h = [...vlanTable(actual.vlan)].sort(([a], [b]) => a - b);
      if (!deepEqual(w, h)) out.push({ path: `${path}.bridge.port.${port.name}.vlan`, expected: port.vlan ?? DEFAULT_PORT_VLAN, actual: actual.vlan });
    }
  }
}

export function verifyState(merged: MergedState, after: NetworkState): Mismatch[] {
  const out: Mismatch[] = [];
  const byName = new Map((after.interfaces ?? []).map((i) => [i.name, i]));
  for (const m of merged.interfaces.values()) {
    verifyInterface(m.name, m.verify, m.merged, byName.get(m.name), out);
  }
  const configured = after.routes?.config ?? [];
  for (const route of merged.routes.add) {
    if (!configured.some((have) => routeSatisfiedBy(route, have))) out.push({ path: "routes.config", expected: normaliseRoute(route), actual: "missing" });
  }
  for (const route of merged.routes.remove) {
    if (configured.some((have) => routeMatchesAbsent(route, have) && deepEqual(normaliseRoute(have), normaliseRoute(route)))) {
      out.push({ path: "routes.config", expected: { ...normaliseRoute(route), state: "absent" }, actual: "present" });
    }
  }
  const rules = (after["route-rules"]?.config ?? []).map(normaliseRule);
  for (const rule of merged.rules.add) {
    const want = normaliseRule(rule);
    if (!rules.some((have) => Object.entries(want).every(([k, v]) => deepEqual(v, (have as Record<string, unknown>)[k])))) {
      out.push({ path: "route-rules.config", expected: want, actual: "missing" });
    }
  }
  for (const rule of merged.rules.remove) {
    const gone = normaliseRule(rule);
    if (rules.some((have) => deepEqual(have, gone))) out.push({ path: "route-rules.config", expected: { ...gone, state: "absent" }, actual: "present" });
  }
  if (merged.dns) {
    const want = normaliseDns(merged.dns.merged);
    const have = normaliseDns(after["dns-resolver"]?.config ?? {});
    if (!deepEqual(want, have)) out.push({ path: "dns-resolver.config", expected: want, actual: have });
  }
  return out;
}
