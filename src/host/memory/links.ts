/**
 * Links with the kernel's side effects, where callers can tell the difference:
 *
 * - creating a veth creates both ends; deleting either end deletes both;
 * - deleting a link deletes the VLANs, MAC-VLANs and VXLANs built on it, frees
 *   its ports and drops the routes through it;
 * - a bridge or bond port cannot carry a MAC-VLAN ("Device or resource busy");
 * - a VLAN or MAC-VLAN cannot exceed its base's MTU and shrinks with it; a
 *   bond gives its MTU to its ports.
 */
import { BOND_MODES, type BondMode } from "../../state/schema/bond.ts";
import type { LinkCreate, Operation } from "../../state/plan/operations.ts";
import { addOfKind, memoryKind } from "./kinds/index.ts";
import { uppers } from "./link-state.ts";
import { fail, getLink, kernelErrors, lowerOf, portsOf, type MemHost, type MemLink } from "./model.ts";
import { addStacked } from "./stacked.ts";
import { adjustBridge, release } from "./ports.ts";
import { flushRoutes, viaLink } from "./routes.ts";

const MIN_MTU = 68;
const MAX_MTU = 65535;

/** `ip link add NAME …`, by the kind's module (kinds/), or as a plain stacked link (stacked.ts). */
export function addLink(host: MemHost, name: string, create: LinkCreate): void {
  if (host.links.has(name)) throw kernelErrors.exists();
  const kind = memoryKind(create.kind);
  if (kind) addOfKind(kind)(host, name, create);
  else addStacked(host, name, create);
}

export function bondMode(mode: string): BondMode {
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

function setMtu(host: MemHost, link: MemLink, mtu: number): void {
  if (mtu < MIN_MTU) fail("Error: mtu less than device minimum.");
  if (mtu > MAX_MTU && link.type !== "vrf") fail("Error: mtu greater than device maximum.");
  const base = link.type === "vxlan" ? undefined : lowerOf(link);
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
  if (op.mac !== undefined) {
    link.mac = op.mac.toUpperCase();
    link.macSet = true;
    const master = link.master ? host.links.get(link.master) : undefined;
    if (master?.type === "linux-bridge") adjustBridge(host, master);
  }
  if (op.description !== undefined) link.alias = op.description;
  if (op.acceptAllMac !== undefined) link.promisc = op.acceptAllMac;
}
