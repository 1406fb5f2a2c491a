/**
 * The pure half of the reader: raw iproute2 dumps in, NetworkState out. No
 * I/O here, so fixtures captured on any kernel can be replayed in unit tests.
 */
import type { BridgeVlanEntry, BridgeVlanPort, IpLink, IpRoute, IpRule } from "./ipjson.ts";
import type { Interface, NetworkState } from "../../../state/schema/index.ts";
import { dynamicAddressesOf } from "./address.ts";
import { parseResolvConf } from "./dns.ts";
import { interfaceOf } from "./link.ts";
import { lockedCwndKeys, routesSection } from "./route.ts";
import { rulesSection } from "./rule.ts";
import type { InterfaceSysctls } from "./sysctl.ts";
import { byName } from "./values.ts";

/** Everything one read collected, as iproute2 printed it. */
export interface RawKernelState {
  /** `ip -N -json -d addr show`: links with their addresses. */
  links: IpLink[];
  routes: { v4: IpRoute[]; v6: IpRoute[] };
  rules: { v4: IpRule[]; v6: IpRule[] };
  sysctls: InterfaceSysctls;
  /** `bridge -json vlan show`, read only when some bridge filters VLANs. */
  bridgeVlans?: BridgeVlanPort[];
  /** `ip -N -d -o route show table all`, read only when some route has a cwnd. */
  routeText?: string[];
  /** The resolver file the namespace's processes see, if any. */
  resolvConf?: { path: string; text: string };
}

export interface KernelSnapshot {
  state: NetworkState;
  /** `iface/ip/prefix` (canonical ip) of every address with a finite valid lifetime: DHCP, SLAAC, or added with a lifetime. */
  dynamicAddresses: Set<string>;
  ifindex: Map<string, number>;
  raw: RawKernelState;
  /** How many times the dumps were taken (more than 1 when the kernel changed during one). */
  attempts: number;
}

export function portsByController(links: readonly IpLink[]): Map<string, IpLink[]> {
  const out = new Map<string, IpLink[]>();
  for (const link of links) {
    if (!link.master) continue;
    const list = out.get(link.master);
    if (list) list.push(link);
    else out.set(link.master, [link]);
  }
  return out;
}

function vlansByPort(ports: readonly BridgeVlanPort[] | undefined): Map<string, BridgeVlanEntry[]> | undefined {
  if (!ports) return undefined;
  return new Map(ports.map((p) => [p.ifname, p.vlans ?? []]));
}

export function assembleSnapshot(raw: RawKernelState, attempts = 1): KernelSnapshot {
  const links = [...raw.links].sort(byName);
  const context = {
    portsOf: portsByController(links),
    sysctls: raw.sysctls,
    ...(raw.bridgeVlans ? { bridgeVlans: vlansByPort(raw.bridgeVlans)! } : {}),
  };
  const interfaces: Interface[] = links.map((link) => interfaceOf(link, context));
  const routes = routesSection(raw.routes.v4, raw.routes.v6, raw.routeText ? { lockedCwnd: lockedCwndKeys(raw.routeText) } : {});
  const state: NetworkState = {
    interfaces,
    routes,
    "route-rules": { config: rulesSection(raw.rules.v4, raw.rules.v6) },
    "dns-resolver": { running: raw.resolvConf ? parseResolvConf(raw.resolvConf.text) : {} },
  };
  return {
    state,
    dynamicAddresses: new Set(links.flatMap(dynamicAddressesOf)),
    ifindex: new Map(links.map((l) => [l.ifname, l.ifindex])),
    raw,
    attempts,
  };
}
