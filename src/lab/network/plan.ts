/**
 * The lab's simulated network as data: names, addresses, MACs and the
 * iproute2 batch scripts that build it. Pure — nothing here touches the host;
 * create.ts runs what this describes, destroy.ts removes it.
 *
 *   L-node-i eth0 ─┐                        ┌─ mgmt  192.0.2.1     L-rtr (dnsmasq: DHCP + DNS)
 *                  ├─ L-sw: br-mgmt ────────┤
 *   L-cp     eth0 ─┘   192.0.2.0/24         └─ (edge) 192.0.2.2:6443 → Unix socket → host → 127.0.0.1:PORT
 *   L-node-i eth1 ─── L-sw: br-data ─────── data  198.51.100.1   L-rtr
 *                       198.51.100.0/24
 *
 * Every namespace name starts with the lab's name, so two labs coexist and
 * `destroy` can recognise a lab's namespaces even without its state file.
 */
import { NodenetError } from "../../errors.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import type { DnsmasqConfig } from "./dnsmasq.ts";

export const MAX_NODES = 99;

/** Addresses and names of a segment (a bridge in the switch namespace). */
export interface SegmentPlan {
  bridge: string;
  cidr: string;
  prefixLength: number;
  /** The router's address on the segment (default gateway, DHCP and DNS server). */
  gateway: string;
  /** The router's interface on the segment, in the router namespace. */
  routerIface: string;
  /** The router cable's switch-side port. */
  routerPort: string;
}

export interface LabNicPlan {
  name: "eth0" | "eth1";
  mac: string;
  /** The cable's other end: a port of the segment's bridge in the switch namespace. */
  switchPort: string;
  segment: "management" | "data";
}

export interface LabNodePlan {
  /** `node-1` … (what `lab exec` and the Node objects use). */
  name: string;
  index: number;
  netns: string;
  /** `node-1.L.lab`, answered by the lab's DNS. */
  fqdn: string;
  /** The fixed address DHCP hands to eth0 (by its MAC). */
  address: string;
  nics: [LabNicPlan, LabNicPlan];
}

export interface LabNetworkPlan {
  name: string;
  /** `L.lab`: DNS domain of the lab (DHCP search domain). */
  domain: string;
  namespaces: { switch: string; router: string; edge: string };
  management: SegmentPlan;
  data: SegmentPlan;
  dhcp: { range: [string, string]; netmask: string; leaseTime: string };
  /** Where nodes reach the API server: a TCP forwarder in the edge namespace. */
  api: { address: string; port: number; hostname: string; edgeIface: string; edgeMac: string; edgePort: string };
  nodes: LabNodePlan[];
}

const LAB_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** A lab name becomes a DNS label (`api.L.lab`) and the prefix of namespace names. */
export function checkLabName(name: string): void {
  if (!LAB_NAME.test(name)) {
    throw new NodenetError("invalid-input", `lab name "${name}" is not valid: use 1–32 lowercase letters, digits and '-', starting with a letter and not ending with '-'`);
  }
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

export function nodeName(index: number): string {
  return `node-${index}`;
}

export function nodeNetns(lab: string, index: number): string {
  return `${lab}-${nodeName(index)}`;
}

/** Matches exactly the namespaces a lab named `lab` creates (not those of a lab named `lab-x`). */
export function labNamespacePattern(lab: string): RegExp {
  const escaped = lab.replace(/[-]/g, "\\-");
  return new RegExp(`^${escaped}-(sw|rtr|cp|node-[1-9][0-9]*)$`);
}

export function planLabNetwork(name: string, nodeCount: number): LabNetworkPlan {
  checkLabName(name);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) {
    throw new NodenetError("invalid-input", `a lab has 1–${MAX_NODES} nodes, not ${nodeCount}`);
  }
  const domain = `${name}.lab`;
  const nodes: LabNodePlan[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    nodes.push({
      name: nodeName(i),
      index: i,
      netns: nodeNetns(name, i),
      fqdn: `${nodeName(i)}.${domain}`,
      address: `192.0.2.${100 + i}`,
      nics: [
        { name: "eth0", mac: `02:00:00:00:01:${hex2(i)}`, switchPort: `n${i}-mgmt`, segment: "management" },
        { name: "eth1", mac: `02:00:00:00:02:${hex2(i)}`, switchPort: `n${i}-data`, segment: "data" },
      ],
    });
  }
  return {
    name,
    domain,
    namespaces: { switch: `${name}-sw`, router: `${name}-rtr`, edge: `${name}-cp` },
    management: { bridge: "br-mgmt", cidr: "192.0.2.0/24", prefixLength: 24, gateway: "192.0.2.1", routerIface: "mgmt", routerPort: "rtr-mgmt" },
    data: { bridge: "br-data", cidr: "198.51.100.0/24", prefixLength: 24, gateway: "198.51.100.1", routerIface: "data", routerPort: "rtr-data" },
    dhcp: { range: ["192.0.2.200", "192.0.2.250"], netmask: "255.255.255.0", leaseTime: "1h" },
    api: { address: "192.0.2.2", port: 6443, hostname: `api.${domain}`, edgeIface: "eth0", edgeMac: "02:00:00:00:00:02", edgePort: "cp-mgmt" },
    nodes,
  };
}

/** Every namespace of the lab, infrastructure first. */
export function labNamespaces(plan: LabNetworkPlan): string[] {
  return [plan.namespaces.switch, plan.namespaces.router, plan.namespaces.edge, ...plan.nodes.map((n) => n.netns)];
}

/**
 * One veth cable from a switch port to an interface in another namespace,
 * created from inside the switch namespace with its peer born in the target
 * (no temporary names, no moving).
 * Equivalent to: `ip -n SW link add PORT type veth peer name IFACE address MAC netns NS`
 */
function cableLines(port: string, bridge: string, peer: { iface: string; mac: string; netns: string }): string[] {
  return [
    `link add ${port} type veth peer name ${peer.iface} address ${peer.mac} netns ${peer.netns}`,
    // A switch port is layer 2 only: no IPv6 link-local address, no router solicitations.
    `link set ${port} addrgenmode none`,
    `link set ${port} master ${bridge} up`,
  ];
}

/** `ip -n L-sw -batch -`: both bridges and every cable (all nodes' included, one process). */
export function switchBatch(plan: LabNetworkPlan): string[] {
  const lines = ["link set lo up"];
  for (const segment of [plan.management, plan.data]) {
    lines.push(`link add ${segment.bridge} type bridge stp_state 0 forward_delay 0`, `link set ${segment.bridge} addrgenmode none`, `link set ${segment.bridge} up`);
  }
  const { router, edge } = plan.namespaces;
  lines.push(...cableLines(plan.management.routerPort, plan.management.bridge, { iface: plan.management.routerIface, mac: "02:00:00:00:00:01", netns: router }));
  lines.push(...cableLines(plan.data.routerPort, plan.data.bridge, { iface: plan.data.routerIface, mac: "02:00:00:00:00:11", netns: router }));
  lines.push(...cableLines(plan.api.edgePort, plan.management.bridge, { iface: plan.api.edgeIface, mac: plan.api.edgeMac, netns: edge }));
  for (const node of plan.nodes) lines.push(...nodeCableLines(plan, node));
  return lines;
}

/** `ip -n L-sw -batch -` lines that cable one node's NICs (same names, MACs and switch ports every time). */
export function nodeCableLines(plan: LabNetworkPlan, node: LabNodePlan): string[] {
  return node.nics.flatMap((nic) => {
    const bridge = nic.segment === "management" ? plan.management.bridge : plan.data.bridge;
    return cableLines(nic.switchPort, bridge, { iface: nic.name, mac: nic.mac, netns: node.netns });
  });
}

/** `ip -n L-rtr -batch -`: the gateway's addresses. */
export function routerBatch(plan: LabNetworkPlan): string[] {
  const m = plan.management;
  const d = plan.data;
  return [
    "link set lo up",
    `address add ${m.gateway}/${m.prefixLength} dev ${m.routerIface}`,
    `address add ${d.gateway}/${d.prefixLength} dev ${d.routerIface}`,
    `link set ${m.routerIface} up`,
    `link set ${d.routerIface} up`,
  ];
}

/** `ip -n L-cp -batch -`: the control-plane edge at 192.0.2.2 with its default route via the router. */
export function edgeBatch(plan: LabNetworkPlan): string[] {
  const { api, management: m } = plan;
  return ["link set lo up", `address add ${api.address}/${m.prefixLength} dev ${api.edgeIface}`, `link set ${api.edgeIface} up`, `route add default via ${m.gateway} dev ${api.edgeIface}`];
}

/** `ip -n L-node-i -batch -`: only loopback; the NICs are configured by nodenet itself (DHCP on eth0). */
export function nodeBatch(): string[] {
  return ["link set lo up"];
}

/** What nodenet applies in each node at creation: DHCP on eth0 (address, default route, DNS), eth1 up without addresses. */
export function nodeDesiredState(): NetworkState {
  return {
    interfaces: [
      { name: "eth0", type: "ethernet", state: "up", ipv4: { enabled: true, dhcp: true } },
      { name: "eth1", type: "ethernet", state: "up" },
    ],
  };
}

/** The router's dnsmasq: DHCP on the management segment (fixed leases by MAC), DNS for the lab's names on both segments, no upstream. */
/** Node i's reserved address on the data segment. */
export const dataAddress = (i: number) => `198.51.100.${10 + i}`;

export function labDnsmasqConfig(plan: LabNetworkPlan, files: { leaseFile: string; pidFile: string }): DnsmasqConfig {
  const m = plan.management;
  return {
    interfaces: [m.routerIface, plan.data.routerIface],
    dhcp: {
      range: plan.dhcp.range,
      netmask: plan.dhcp.netmask,
      leaseTime: plan.dhcp.leaseTime,
      router: m.gateway,
      dns: m.gateway,
      hosts: plan.nodes.map((n) => ({ mac: n.nics[0].mac, address: n.address, name: n.name })),
    },
    // eth1 gets a per-node address by DHCP reservation on the data segment (198.51.100.1N), no gateway.
    reserved: { network: "198.51.100.0", netmask: "255.255.255.0", hosts: plan.nodes.map((n, i) => ({ mac: n.nics[1].mac, address: dataAddress(i + 1) })) },
    domain: plan.domain,
    records: {
      // nodenet's DNS probe asks for `localhost` by default.
      localhost: "127.0.0.1",
      [plan.api.hostname]: plan.api.address,
      [`router.${plan.domain}`]: m.gateway,
      ...Object.fromEntries(plan.nodes.map((n) => [n.fqdn, n.address])),
    },
    authoritativeForAll: true,
    leaseFile: files.leaseFile,
    pidFile: files.pidFile,
    logQueries: false,
  };
}
