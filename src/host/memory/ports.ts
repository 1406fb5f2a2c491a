/**
 * Ports joining and leaving controllers, as the drivers handle it:
 *
 * - rtnetlink releases a port from its old controller before offering it to
 *   the new one (which may then refuse it);
 * - the bonding driver takes only ports that are down ("Device can not be
 *   enslaved while up"), opens them itself and gives them its MTU; releasing
 *   a port closes it and restores its MTU;
 * - a VRF cycles a port that joins or leaves it while up (its routes and IPv6
 *   addresses go);
 * - a link with a MAC-VLAN on it cannot become a bridge or bond port ("Device
 *   or resource busy");
 * - a bridge gives a new port the default settings and PVID; its MTU follows
 *   its smallest port until one is set on it, and its MAC the lowest port MAC
 *   until one is set on it.
 */
import { BRIDGE_PORT_DEFAULTS, defaultVlans } from "./bridge.ts";
import { takeDown } from "./link-state.ts";
import { fail, getLink, isControllerLink, kernelErrors, portsOf, type MemHost, type MemLink } from "./model.ts";

/** Whether the link's receive hook is taken (by a bridge, a bond or MAC-VLANs). */
function rxHandlerBusy(host: MemHost, link: MemLink): boolean {
  const master = link.master ? host.links.get(link.master) : undefined;
  if (master?.type === "linux-bridge" || master?.type === "bond") return true;
  return [...host.links.values()].some((l) => l.type === "mac-vlan" && l.macvlan?.["base-iface"] === link.name);
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

export function adjustBridge(host: MemHost, bridge: MemLink): void {
  const ports = portsOf(host, bridge.name);
  if (!bridge.mtuSet) bridge.mtu = ports.length ? Math.min(...ports.map((p) => p.mtu)) : 1500;
  if (!bridge.macSet && ports.length) bridge.mac = ports.map((p) => p.mac).sort()[0]!;
}
