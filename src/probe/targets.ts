/**
 * Which probes a change must pass, from the host's state before and after it:
 * every IPv4/IPv6 default gateway of the main table (one that disappears is a
 * failure in itself), every resolver server (all of them removed is a failure
 * in itself), and the extra TCP targets.
 */
import { isDefaultDestination } from "../state/ip-address.ts";
import type { NetworkState } from "../state/schema/state.ts";
import type { ProbeSettings, ProbeTarget } from "./types.ts";

function defaultGateways(state: NetworkState) {
  return (state.routes?.running ?? []).filter(
    (r) => isDefaultDestination(r.destination) && (r["table-id"] ?? 254) === 254 && r["next-hop-address"] && r["next-hop-interface"],
  );
}

export function probeTargets(before: NetworkState, after: NetworkState, settings: ProbeSettings): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  if (settings.gateway.enabled) {
    const now = defaultGateways(after);
    for (const r of now) {
      targets.push({ kind: "gateway", address: r["next-hop-address"]!, iface: r["next-hop-interface"]!, family: r.destination === "::/0" ? 6 : 4, timeoutMs: settings.gateway.timeoutMs });
    }
    for (const r of defaultGateways(before)) {
      const family = r.destination === "::/0" ? 6 : 4;
      if (!now.some((n) => (n.destination === "::/0" ? 6 : 4) === family)) {
        targets.push({ kind: "gateway-missing", address: r["next-hop-address"]!, iface: r["next-hop-interface"]!, family, timeoutMs: settings.gateway.timeoutMs });
      }
    }
  }
  if (settings.dns.enabled) {
    const servers = after["dns-resolver"]?.running?.server ?? [];
    for (const server of servers) {
      targets.push({ kind: "dns", server, name: settings.dns.name, timeoutMs: settings.dns.timeoutMs });
    }
    // As kubernetes-nmstate's DNS check: a host that resolved names before the change must still be able to.
    const previous = before["dns-resolver"]?.running?.server ?? [];
    if (previous.length && !servers.length) targets.push({ kind: "dns-missing", servers: previous, timeoutMs: settings.dns.timeoutMs });
  }
  for (const t of settings.tcp) targets.push({ kind: "tcp", ...t });
  return targets;
}
