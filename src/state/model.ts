/**
 * Facts about interfaces that several stages need: which section names the
 * ports of a controller, what an interface depends on, what counts as "the
 * same type".
 */
import { kindOf } from "./kinds/index.ts";
import type { Interface, InterfaceType } from "./schema/interface.ts";

/** Kinds whose interfaces hold ports (bridge, bond, VRF): those with a controller relation in src/state/kinds/. */
export function isController(type: InterfaceType | undefined): boolean {
  return Boolean(kindOf(type)?.controller);
}

/** The port names an interface declares, or undefined when it does not declare a list. */
export function declaredPorts(iface: Interface): string[] | undefined {
  return kindOf(iface.type)?.controller?.ports(iface);
}

/** Returns a copy of a controller with its port list replaced (keeping per-port bridge settings). */
export function withPorts(iface: Interface, ports: string[]): Interface {
  return kindOf(iface.type)?.controller?.withPorts(iface, ports) ?? iface;
}

/** The interface a link is built on (a VLAN's, VXLAN's, MAC-VLAN's base); it must exist first. */
export function baseOf(iface: Interface): string | undefined {
  return kindOf(iface.type)?.base?.(iface);
}

/**
 * A veth whose peer lives in another namespace looks like a NIC from inside
 * (lab nodes' eth0/eth1), and policies written for real nodes call it
 * `ethernet`; both names refer to the same kernel object.
 */
export function sameType(a: InterfaceType | undefined, b: InterfaceType | undefined): boolean {
  if (a === undefined || b === undefined || a === b) return true;
  const nicLike = (t: InterfaceType) => t === "ethernet" || t === "veth";
  return nicLike(a) && nicLike(b);
}

/**
 * The kind an interface declaration stands for. nmstate models a veth as an
 * ethernet interface with a `veth` section, so `type: ethernet` declared for
 * an existing veth, or with a `veth` section, means veth: accepted, with no
 * change of type to show or make.
 */
export function effectiveType(declared: Pick<Interface, "type" | "veth"> | undefined, current: Pick<Interface, "type"> | undefined): InterfaceType | undefined {
  const type = declared?.type ?? current?.type;
  if (type === "ethernet" && (current?.type === "veth" || (!current && declared?.veth))) return "veth";
  return type;
}

/** Ports of a bridge or bond carry no IP configuration of their own; VRF ports do. */
export function portLosesIp(controllerType: InterfaceType | undefined): boolean {
  return Boolean(kindOf(controllerType)?.controller?.portsLoseIp);
}

export const DEFAULT_ROUTE_TABLE = 254;
