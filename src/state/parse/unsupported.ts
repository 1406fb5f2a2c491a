/**
 * nmstate features nodenet does not implement. Each is reported as
 * `unsupported` at its exact path and removed from the copy that goes on to
 * schema validation, so the user sees one clear reason instead of a cascade
 * of "unknown key" errors — and nothing is ever silently dropped.
 */
import { unsupported, type Issue, type IssuePath } from "../issues.ts";
import { KIND_SECTION_KEYS, kindOf } from "../kinds/index.ts";
import { coerceBoolean } from "../schema/scalars.ts";

const isKindSection = (key: string) => KIND_SECTION_KEYS.has(key);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const OVS = "Open vSwitch is not managed by nodenet; use a linux-bridge";

export const UNSUPPORTED_TYPES: Record<string, string> = {
  "ovs-bridge": OVS,
  "ovs-interface": OVS,
  "ovs-port": OVS,
  infiniband: "InfiniBand/IPoIB interfaces are not supported",
  ipsec: "IPsec (libreswan) connections are not supported",
  macsec: "MACsec is not supported",
  hsr: "HSR/PRP interfaces are not supported",
  ipvlan: "IPVLAN interfaces are not supported; use mac-vlan",
  "mac-vtap": "MACVTAP interfaces are not supported; use mac-vlan",
  team: "team devices are not supported; use a bond",
  vlan_ovs: OVS,
  xfrm: "XFRM interfaces are not supported",
  dispatch: "dispatch interfaces are not supported",
  "other": "interfaces of type 'other' cannot be managed",
  "ip-tunnel": "IP tunnels (ipip, gre, sit, ip6tnl) are not supported",
};

/** Interface keys nmstate knows and nodenet does not do. */
const UNSUPPORTED_INTERFACE_KEYS: Record<string, string> = {
  ethtool: "ethtool settings (features, ring, coalesce, pause) are not supported",
  "802.1x": "802.1X authentication is not supported",
  dispatch: "dispatch scripts are not supported",
  mptcp: "MPTCP flags are not supported",
  "profile-name": "NetworkManager profile names do not exist in nodenet; interfaces are identified by name",
  "wait-ip": "wait-ip is a NetworkManager activation option; nodenet verifies addresses itself",
  "pci-address": "identifying interfaces by PCI address is not supported",
  "alt-names": "alternative interface names are not supported",
  libreswan: "IPsec (libreswan) connections are not supported",
  dpdk: "DPDK is not supported",
  patch: OVS,
  "ovs-db": OVS,
  infiniband: "InfiniBand/IPoIB interfaces are not supported",
  macsec: "MACsec is not supported",
  hsr: "HSR/PRP interfaces are not supported",
  ipvlan: "IPVLAN interfaces are not supported; use mac-vlan",
  "mac-vtap": "MACVTAP interfaces are not supported; use mac-vlan",
  team: "team devices are not supported; use a bond",
  "ipoib": "InfiniBand/IPoIB interfaces are not supported",
};

const UNSUPPORTED_ETHERNET_KEYS: Record<string, string> = {
  "sr-iov": "SR-IOV virtual functions are not supported",
  speed: "setting link speed (ethtool) is not supported",
  duplex: "setting duplex (ethtool) is not supported",
  "auto-negotiation": "setting auto-negotiation (ethtool) is not supported",
};

const UNSUPPORTED_IP_KEYS: Record<string, string> = {
  "dhcp-custom-hostname": "sending a custom hostname over DHCP is not supported",
  "dhcp-send-hostname": "sending the hostname over DHCP is not supported",
  "dhcp-send-release": "DHCP release control is not supported",
  "dhcp-timeout": "DHCP timeouts are not configurable",
  "dhcp-iaid": "DHCP IAID is not configurable",
  token: "IPv6 tokens are not supported",
  "ra-timeout": "router advertisement timeouts are not configurable",
  "dhcp-fqdn": "DHCP FQDN options are not supported",
  "addr-gen-mode-stable-secret": "stable-privacy secrets are not supported",
};

const UNSUPPORTED_TOP_KEYS: Record<string, string> = {
  "ovs-db": OVS,
  ovn: "OVN bridge mappings are not supported",
};

const UNSUPPORTED_ROUTE_KEYS: Record<string, string> = {
  "vrf-name": "routes are placed in a VRF by its table: use table-id",
};

const UNSUPPORTED_ADDRESS_KEYS: Record<string, string> = {
  "mptcp-flags": "MPTCP address flags are not supported",
};

const SRIOV_NAME = "SR-IOV virtual function names (sriov:PF:VF) are not supported; name the VF's interface";
const ALT_NAME = "interface names longer than 15 bytes are alternative names, which nodenet does not resolve; use the interface's name";

/** Where a state names an interface, for the name forms nodenet does not resolve. */
function nameReferences(state: Json): { path: IssuePath; name: string }[] {
  const refs: { path: IssuePath; name: string }[] = [];
  const add = (path: IssuePath, value: unknown) => {
    if (typeof value === "string") refs.push({ path, name: value });
  };
  const list = (owner: unknown, key: string, path: IssuePath, field?: string) => {
    if (!isObject(owner) || !Array.isArray(owner[key])) return;
    owner[key].forEach((item, i) => (field ? isObject(item) && add([...path, key, i, field], item[field]) : add([...path, key, i], item)));
  };
  if (Array.isArray(state.interfaces)) {
    state.interfaces.forEach((iface, index) => {
      if (!isObject(iface)) return;
      const path: IssuePath = ["interfaces", index];
      add([...path, "name"], iface.name);
      add([...path, "controller"], iface.controller);
      list(iface.bridge, "port", [...path, "bridge"], "name");
      list(iface["link-aggregation"], "port", [...path, "link-aggregation"]);
      list(iface.vrf, "port", [...path, "vrf"]);
      for (const kind of ["vlan", "vxlan", "mac-vlan"]) if (isObject(iface[kind])) add([...path, kind, "base-iface"], iface[kind]["base-iface"]);
    });
  }
  for (const [section, keys] of [["routes", ["next-hop-interface"]], ["route-rules", ["iif", "oif"]]] as const) {
    const config = isObject(state[section]) ? state[section].config : undefined;
    if (Array.isArray(config)) config.forEach((entry, i) => isObject(entry) && keys.forEach((k) => add([section, "config", i, k], entry[k])));
  }
  return refs;
}

/**
 * Names nmstate resolves and nodenet does not: `sriov:PF:VF` and alternative
 * names (anything over the kernel's 15 bytes). A template placeholder
 * (`{{ … }}`) left unrendered is not one of them.
 */
function unsupportedNames(state: Json, issues: Issue[]): void {
  const found = nameReferences(state).filter(({ name }) => {
    if (name.includes("{{")) return false;
    return /^sriov:[^:]+:\d+$/.test(name) || (new TextEncoder().encode(name).length > 15 && !/\s/.test(name));
  });
  for (const { path, name } of found) issues.push(unsupported(path, name.startsWith("sriov:") ? SRIOV_NAME : ALT_NAME));
  // Taken out of the copy the schema sees, last first so earlier list indexes stay right.
  for (const found1 of found.reverse()) {
    // A bridge port entry goes whole: it is nothing without its name.
    const path = found1.path.at(-1) === "name" && found1.path.at(-3) === "port" ? found1.path.slice(0, -1) : found1.path;
    const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], state);
    const last = path.at(-1)!;
    if (path.length === 3 && path[0] === "interfaces" && last === "name") (state.interfaces as unknown[])[path[1] as number] = { unsupportedName: true };
    else if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else if (isObject(parent)) delete parent[last as string];
  }
}

/**
 * balance_slb is NetworkManager's nftables emulation of source-load-balancing,
 * not a kernel bond option: off is what nodenet's bonds are, on cannot be had.
 */
function balanceSlb(options: Json, path: IssuePath, issues: Issue[]): void {
  if (!("balance_slb" in options)) return;
  const on = coerceBoolean(options.balance_slb);
  if (on !== false) issues.push(unsupported([...path, "balance_slb"], "balance_slb (NetworkManager's nftables source-load-balancing) is not supported"));
  delete options.balance_slb;
}

export interface UnsupportedResult {
  issues: Issue[];
  /** The input without the unsupported parts (interfaces of unsupported types removed). */
  rest: unknown;
}

function strip(obj: Json, table: Record<string, string>, path: IssuePath, issues: Issue[], applies: (key: string) => boolean = () => true): void {
  for (const key of Object.keys(obj)) {
    const reason = applies(key) ? table[key] : undefined;
    if (reason === undefined) continue;
    issues.push(unsupported([...path, key], reason));
    delete obj[key];
  }
}

/** Expects the output of normaliseAliases (a private copy it may change). */
export function extractUnsupported(state: unknown): UnsupportedResult {
  const issues: Issue[] = [];
  if (!isObject(state)) return { issues, rest: state };
  strip(state, UNSUPPORTED_TOP_KEYS, [], issues);
  unsupportedNames(state, issues);
  if (Array.isArray(state.interfaces)) {
    const kept: unknown[] = [];
    state.interfaces.forEach((iface, index) => {
      const path: IssuePath = ["interfaces", index];
      if (!isObject(iface)) return kept.push(iface);
      if (iface.unsupportedName === true) return kept.push(undefined);
      const type = typeof iface.type === "string" ? iface.type : undefined;
      // A kind listed in src/state/kinds/ is supported, whatever the table says.
      const typeReason = type && !kindOf(type) ? UNSUPPORTED_TYPES[type] : undefined;
      if (typeReason) {
        issues.push(unsupported([...path, "type"], `type ${type}: ${typeReason}`));
        kept.push(undefined); // keep indexes stable for later paths; removed below
        return;
      }
      strip(iface, UNSUPPORTED_INTERFACE_KEYS, path, issues, (key) => !isKindSection(key));
      if (iface.identifier !== undefined && iface.identifier !== "name") {
        issues.push(unsupported([...path, "identifier"], "interfaces are identified by name; identifying by MAC address is not supported"));
      }
      delete iface.identifier;
      if (isObject(iface.ethernet)) strip(iface.ethernet, UNSUPPORTED_ETHERNET_KEYS, [...path, "ethernet"], issues);
      if (isObject(iface.lldp) && iface.lldp.enabled === true) {
        issues.push(unsupported([...path, "lldp", "enabled"], "LLDP is not supported"));
        delete iface.lldp;
      }
      for (const family of ["ipv4", "ipv6"] as const) {
        const ip = iface[family];
        if (!isObject(ip)) continue;
        strip(ip, UNSUPPORTED_IP_KEYS, [...path, family], issues);
        if (Array.isArray(ip.address)) {
          ip.address.forEach((a, i) => isObject(a) && strip(a, UNSUPPORTED_ADDRESS_KEYS, [...path, family, "address", i], issues));
        }
      }
      const bond = iface["link-aggregation"];
      if (isObject(bond) && isObject(bond.options)) balanceSlb(bond.options, [...path, "link-aggregation", "options"], issues);
      kept.push(iface);
    });
    state.interfaces = kept;
  }
  const routes = state.routes;
  if (isObject(routes) && Array.isArray(routes.config)) {
    routes.config.forEach((route, index) => {
      if (isObject(route)) strip(route, UNSUPPORTED_ROUTE_KEYS, ["routes", "config", index], issues);
    });
  }
  return { issues, rest: state };
}
