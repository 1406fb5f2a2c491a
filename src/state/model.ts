/**
 * Facts about interfaces that several stages need: which section names the
 * ports of a controller, what an interface depends on, what counts as "the
 * same type".
 */
import type { Interface, InterfaceType } from "./schema/interface.ts";

export const CONTROLLER_TYPES = ["linux-bridge", "bond", "vrf"] as const;
export type ControllerType = (typeof CONTROLLER_TYPES)[number];

export function isController(type: InterfaceType | undefined): type is ControllerType {
  return type === "linux-bridge" || type === "bond" || type === "vrf";
}

/** The port names an interface declares, or undefined when it does not declare a list. */
export function declaredPorts(iface: Interface): string[] | undefined {
  switch (iface.type) {
    case "linux-bridge":
      return iface.bridge?.port?.map((p) => p.name);
    case "bond":
      return iface["link-aggregation"]?.port;
    case "vrf":
      return iface.vrf?.port;
    default:
      return undefined;
  }
}

/** Returns a copy of a controller with its port list replaced (keeping per-port bridge settings). */
export function withPorts(iface: Interface, ports: string[]): Interface {
  const sorted = [...ports].sort();
  switch (iface.type) {
    case "linux-bridge": {
      const existing = new Map((iface.bridge?.port ?? []).map((p) => [p.name, p]));
      return { ...iface, bridge: { ...iface.bridge, port: sorted.map((name) => existing.get(name) ?? { name }) } };
    }
    case "bond":
      return { ...iface, "link-aggregation": { ...iface["link-aggregation"], port: sorted } };
    case "vrf":
      return { ...iface, vrf: { ...iface.vrf, port: sorted } };
    default:
      return iface;
  }
}

/** Interfaces a link is built on (VLAN/VXLAN/MAC-VLAN base); they must exist first. */
export function baseOf(iface: Interface): string | undefined {
  switch (iface.type) {
    case "vlan":
      return iface.vlan?.["base-iface"];
    case "vxlan":
      return iface.vxlan?.["base-iface"];
    case "mac-vlan":
      return iface["mac-vlan"]?.["base-iface"];
    default:
      return undefined;
  }
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
  return controllerType === "linux-bridge" || controllerType === "bond";
}

export const DEFAULT_ROUTE_TABLE = 254;
