/**
 * Links with the kernel's side effects, where callers can tell the difference:
 *
 * - creating a veth creates both ends; deleting either end deletes both;
 * - deleting a link deletes the VLANs, MAC-VLANs and VXLANs built on it, frees
 *   its ports and drops the routes through it;
 * - taking a link down drops every route through it and its IPv6 addresses
 *   (keep_addr_on_down = 0), and takes its VLANs down; bringing it up brings
 *   its VLANs up (unless loose-binding); a VLAN cannot come up on a down base;
 * - the bonding driver takes only ports that are down ("Device can not be
 *   enslaved while up"), opens them itself and gives them its MTU; releasing
 *   a port closes it and restores its MTU;
 * - a VRF cycles a port that joins or leaves it while up (its routes and IPv6
 *   addresses go);
 * - a link with a MAC-VLAN on it cannot become a bridge or bond port, and a
 *   bridge or bond port cannot carry a MAC-VLAN ("Device or resource busy");
 * - a bridge's MTU follows its smallest port until one is set on it, and its
 *   MAC the lowest port MAC until one is set on it; a VLAN or MAC-VLAN cannot
 *   exceed its base's MTU and shrinks with it.
 */
import { BOND_MODES, type BondMode } from "../../state/schema/bond.ts";
import type { InterfaceType } from "../../state/schema/interface.ts";
import type { MacVlan } from "../../state/schema/links.ts";
import type { LinkCreate, Operation } from "../../state/plan/operations.ts";
import { BRIDGE_DEFAULTS, BRIDGE_PORT_DEFAULTS, addVlans, defaultVlans, normaliseBridgeOption } from "./bridge.ts";
import { fail, getLink, isControllerLink, kernelErrors, lowerOf, newLink, portsOf, type MemHost, type MemLink } from "./model.ts";
import { flushRoutes, viaLink } from "./routes.ts";

const TYPES: Record<LinkCreate["kind"], InterfaceType> = {
  bridge: "linux-bridge",
  bond: "bond",
  vlan: "vlan",
  vxlan: "vxlan",
  macvlan: "mac-vlan",
  veth: "veth",
  dummy: "dummy",
  vrf: "vrf",
};

const MIN_MTU = 68;
const MAX_MTU = 65535;

/** Whether the link's receive hook is taken (by a bridge, a bond or MAC-VLANs). */
function rxHandlerBusy(host: MemHost, link: MemLink): boolean {
  const master = link.master ? host.links.get(link.master) : undefined;
  if (master?.type === "linux-bridge" || master?.type === "bond") return true;
  return [...host.links.values()].some((l) => l.type === "mac-vlan" && l.macvlan?.["base-iface"] === link.name);
}

const uppers = (host: MemHost, link: MemLink) => [...host.links.values()].filter((l) => lowerOf(l) === link.name);

/** `ip link add NAME …` */
export function addLink(host: MemHost, name: string, create: LinkCreate): void {
  if (host.links.has(name)) throw kernelErrors.exists();
  const type = TYPES[create.kind];
  switch (create.kind) {
    case "veth": {
      if (host.links.has(create.peer)) throw kernelErrors.exists();
      host.links.set(name, newLink(host, name, type, { peer: create.peer }));
      host.links.set(create.peer, newLink(host, create.peer, type, { peer: name }));
      return;
    }
    case "vlan": {
      const base = getLink(host, create.base);
      const protocol = create.protocol === "802.1ad" ? "802.1ad" : "802.1q";
      const clash = [...host.links.values()].some((l) => l.vlan?.["base-iface"] === base.name && l.vlan.id === create.id && l.vlan.protocol === protocol);
      if (clash) throw kernelErrors.exists();
      host.links.set(name, newLink(host, name, type, { mtu: base.mtu, mac: base.mac, vlan: { "base-iface": base.name, id: create.id, protocol, "reorder-headers": true, "loose-binding": false } }));
      return;
    }
    case "macvlan": {
      const base = getLink(host, create.base);
      if (base.master && host.links.get(base.master)?.type !== "vrf") throw kernelErrors.busy();
      host.links.set(name, newLink(host, name, type, { mtu: base.mtu, macvlan: { "base-iface": base.name, mode: create.mode as MacVlan["mode"], promiscuous: !create.nopromisc } }));
      return;
    }
    case "vxlan": {
      if (create.base) getLink(host, create.base);
      const vxlan = {
        id: create.id,
        ...(create.base ? { "base-iface": create.base } : {}),
        ...(create.remote ? { remote: create.remote } : {}),
        ...(create.local ? { local: create.local } : {}),
        "destination-port": create.port,
        learning: create.learning !== false,
      };
      host.links.set(name, newLink(host, name, type, { mtu: 1450, vxlan }));
      return;
    }
    case "bridge":
      host.links.set(name, newLink(host, name, type, { bridge: { ...BRIDGE_DEFAULTS } }));
      return;
    case "bond":
      host.links.set(name, newLink(host, name, type, { bond: { mode: bondMode(create.mode), options: {} } }));
      return;
    case "vrf":
      host.links.set(name, newLink(host, name, type, { mtu: 65575, vrfTable: create.table }));
      return;
    case "dummy":
      host.links.set(name, newLink(host, name, type));
      return;
  }
}

function bondMode(mode: string): BondMode {
  const byNumber = BOND_MODES[Number(mode)];
  if ((BOND_MODES as readonly string[]).includes(mode)) return mode as BondMode;
  return byNumber ?? fail(`Error: argument "${mode}" is wrong: invalid bond mode`);
}

/** `ip link del NAME` */
export function deleteLink(host: MemHost, name: string): void {
  const link = getLink(host, name);
  if (link.type === "ethernet" || link.type === "loopback" || link.type === "unknown") throw kernelErrors.notSupported();
  const victims = new Set([name]);
  if (link.peer && host.links.has(link.peer)) victims.add(link.peer);
  for (let grew = true; grew; ) {
    grew = false;
    for (const other of host.links.values()) {
      const lower = lowerOf(other);
      if (lower && victims.has(lower) && !victims.has(other.name)) {
        victims.add(other.name);
        grew = true;
      }
    }
  }
  for (const victim of victims) {
    for (const port of portsOf(host, victim)) if (!victims.has(port.name)) release(host, port);
    const v = host.links.get(victim)!;
    if (v.master && !victims.has(v.master)) release(host, v);
  }
  for (const victim of victims) {
    flushRoutes(host, viaLink(victim));
    host.links.delete(victim);
    host.dynamic.delete(victim);
    host.learnedDns.delete(`${victim}/ipv4`);
    host.learnedDns.delete(`${victim}/ipv6`);
  }
}

/** Admin down: routes through the link and its IPv6 addresses go; its VLANs follow it down. */
export function takeDown(host: MemHost, link: MemLink): void {
  if (!link.up) return;
  link.up = false;
  flushRoutes(host, viaLink(link.name));
  link.addresses.ipv6 = [];
  for (const upper of uppers(host, link)) if (upper.type === "vlan" && !upper.vlan?.["loose-binding"]) takeDown(host, upper);
}

export function bringUp(host: MemHost, link: MemLink): void {
  if (link.up) return;
  const base = link.type === "vlan" ? host.links.get(link.vlan?.["base-iface"] ?? "") : undefined;
  if (base && !base.up && !link.vlan?.["loose-binding"]) fail("RTNETLINK answers: Network is down");
  link.up = true;
  for (const upper of uppers(host, link)) if (upper.type === "vlan" && !upper.vlan?.["loose-binding"]) bringUp(host, upper);
}

/** `ip link set dev NAME up|down` */
export function setLinkState(host: MemHost, name: string, up: boolean): void {
  const link = getLink(host, name);
  if (up) bringUp(host, link);
  else takeDown(host, link);
}

/** A VRF flushes what a port had in the table it leaves by cycling the port. */
function cycle(host: MemHost, link: MemLink): void {
  if (!link.up) return;
  takeDown(host, link);
  link.up = true;
}

/** A port leaves its controller (`nomaster`, or its controller is deleted). */
export function release(host: MemHost, port: MemLink): void {
  const controller = port.master ? host.links.get(port.master) : undefined;
  delete port.master;
  port.portOptions = {};
  port.vlans = new Map();
  if (controller?.type === "bond") {
    takeDown(host, port);
    if (port.mtuBeforeBond !== undefined) port.mtu = port.mtuBeforeBond;
    delete port.mtuBeforeBond;
  }
  if (controller?.type === "vrf") cycle(host, port);
  if (controller?.type === "linux-bridge") adjustBridge(host, controller);
}

/** `ip link set dev NAME master CONTROLLER | nomaster` */
export function setMaster(host: MemHost, name: string, masterName: string | null): void {
  const link = getLink(host, name);
  if (masterName === null) {
    if (link.master) release(host, link);
    return;
  }
  const master = host.links.get(masterName);
  if (!master) throw kernelErrors.noMaster(masterName);
  if (!isControllerLink(master) || master === link) throw kernelErrors.notSupported();
  if (link.master === masterName) return;
  // rtnetlink releases the port from its old controller before offering it to the new one.
  if (link.master) release(host, link);
  if (master.type === "bond" && link.up) fail("Error: Device can not be enslaved while up.");
  if (master.type !== "vrf" && rxHandlerBusy(host, link)) throw kernelErrors.busy();
  link.master = masterName;
  switch (master.type) {
    case "linux-bridge":
      // The kernel derives a port's default path cost from its speed: 2 for a veth's 10 Gb/s.
      link.portOptions = { ...BRIDGE_PORT_DEFAULTS, ...(link.type === "veth" ? { cost: 2 } : {}) };
      link.vlans = defaultVlans(master.bridge);
      adjustBridge(host, master);
      return;
    case "bond":
      link.portOptions = { queue_id: 0, prio: 0 };
      link.mtuBeforeBond = link.mtu;
      link.mtu = master.mtu;
      link.up = true;
      return;
    default:
      cycle(host, link);
  }
}

function adjustBridge(host: MemHost, bridge: MemLink): void {
  const ports = portsOf(host, bridge.name);
  if (!bridge.mtuSet) bridge.mtu = ports.length ? Math.min(...ports.map((p) => p.mtu)) : 1500;
  if (!bridge.macSet && ports.length) bridge.mac = ports.map((p) => p.mac).sort()[0]!;
}

function setMtu(host: MemHost, link: MemLink, mtu: number): void {
  if (mtu < MIN_MTU) fail("Error: mtu less than device minimum.");
  if (mtu > MAX_MTU && link.type !== "vrf") fail("Error: mtu greater than device maximum.");
  const base = link.vlan?.["base-iface"] ?? link.macvlan?.["base-iface"];
  const lower = base ? host.links.get(base) : undefined;
  if (lower && mtu > lower.mtu) fail(link.type === "vlan" ? "RTNETLINK answers: Numerical result out of range" : "RTNETLINK answers: Invalid argument");
  applyMtu(host, link, mtu);
  if (link.type === "linux-bridge") link.mtuSet = true;
}

function applyMtu(host: MemHost, link: MemLink, mtu: number): void {
  link.mtu = mtu;
  if (link.type === "bond") for (const port of portsOf(host, link.name)) applyMtu(host, port, mtu);
  for (const upper of uppers(host, link)) if (upper.type !== "vxlan" && upper.mtu > mtu) applyMtu(host, upper, mtu);
  const master = link.master ? host.links.get(link.master) : undefined;
  if (master?.type === "linux-bridge") adjustBridge(host, master);
}

/** `ip link set dev NAME mtu … address … alias … promisc …` */
export function setLink(host: MemHost, op: Extract<Operation, { op: "link-set" }>): void {
  const link = getLink(host, op.name);
  if (op.mtu !== undefined && op.mtu !== link.mtu) setMtu(host, link, op.mtu);
  if (op.address !== undefined) {
    link.mac = op.address.toUpperCase();
    link.macSet = true;
    const master = link.master ? host.links.get(link.master) : undefined;
    if (master?.type === "linux-bridge") adjustBridge(host, master);
  }
  if (op.alias !== undefined) link.alias = op.alias;
  if (op.promisc !== undefined) link.promisc = op.promisc;
}

/** `ip link set dev NAME type bridge KEY VALUE …` */
export function setBridgeOptions(host: MemHost, name: string, options: Record<string, string | number>): void {
  const link = getLink(host, name);
  if (!link.bridge) throw kernelErrors.notSupported();
  for (const [key, value] of Object.entries(options)) link.bridge[key] = normaliseBridgeOption(key, value);
}

/** `ip link set dev NAME type bond KEY VALUE …`; the mode changes only on a bond that is down and has no ports. */
export function setBondOptions(host: MemHost, op: Extract<Operation, { op: "bond-options" }>): void {
  const link = getLink(host, op.name);
  if (!link.bond) throw kernelErrors.notSupported();
  const { mode, ...options } = op.options;
  if (mode !== undefined && bondMode(mode) !== link.bond.mode) {
    if (portsOf(host, link.name).length) fail("RTNETLINK answers: Directory not empty");
    if (link.up) throw kernelErrors.busy();
    link.bond.mode = bondMode(mode);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (link.bond.options as Record<string, unknown>)[key] = structuredClone(value);
  }
}

/** `ip link set dev PORT type bridge_slave …` / `type bond_slave …` */
export function setPortOptions(host: MemHost, name: string, controllerType: "linux-bridge" | "bond", options: Record<string, string | number | undefined>): void {
  const link = getLink(host, name);
  if (!link.master || host.links.get(link.master)?.type !== controllerType) throw kernelErrors.notSupported();
  for (const [key, value] of Object.entries(options)) if (value !== undefined) link.portOptions[key] = value;
}

function bridgePortOf(host: MemHost, name: string): MemLink {
  const link = getLink(host, name);
  if (!link.master || host.links.get(link.master)?.type !== "linux-bridge") throw kernelErrors.notSupported();
  return link;
}

/** `bridge vlan add dev PORT vid …` */
export function addPortVlan(host: MemHost, op: Extract<Operation, { op: "vlan-add" }>): void {
  const port = bridgePortOf(host, op.port);
  if (op.entry.pvid && op.entry.min !== op.entry.max) fail("RTNETLINK answers: Invalid argument");
  addVlans(port.vlans, op.entry);
}

/** `bridge vlan del dev PORT vid …` */
export function deletePortVlan(host: MemHost, op: Extract<Operation, { op: "vlan-del" }>): void {
  const port = bridgePortOf(host, op.port);
  for (let vid = op.entry.min; vid <= op.entry.max; vid++) if (!port.vlans.has(vid)) fail("RTNETLINK answers: No such file or directory");
  for (let vid = op.entry.min; vid <= op.entry.max; vid++) port.vlans.delete(vid);
}
