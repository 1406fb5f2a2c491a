import { z } from "zod";
import { allKinds, INTERFACE_TYPES, KIND_SECTIONS } from "../kinds/index.ts";
import { Ipv4Schema, Ipv6Schema } from "./ip.ts";
import { LldpSchema } from "./links.ts";
import { boolean, integer, interfaceDescription, interfaceName, macAddress } from "./scalars.ts";

/** Interface types nodenet can create, change, report and remove: one module each in src/state/kinds/. */
export { INTERFACE_TYPES };

/**
 * `unknown` is what `show` prints for kernel link kinds nodenet does not model
 * (tun, wireguard, …); such interfaces can be named (e.g. with `state: ignore`)
 * but never created.
 */
export const InterfaceTypeSchema = z.enum([...INTERFACE_TYPES, "unknown"]);
export type InterfaceType = z.infer<typeof InterfaceTypeSchema>;

export const INTERFACE_STATES = ["up", "down", "absent", "ignore"] as const;
export const InterfaceStateSchema = z.enum(INTERFACE_STATES);
export type InterfaceState = z.infer<typeof InterfaceStateSchema>;

/**
 * Type-specific sections, keyed by the interface type that owns them. A
 * section on an interface of another type is an error (see validate).
 */
export const TYPE_SECTIONS: Readonly<Record<string, InterfaceType>> = Object.fromEntries(allKinds().flatMap((k) => (k.section ? [[k.section, k.type]] : [])));

export const InterfaceSchema = z.strictObject({
  name: interfaceName(),
  type: InterfaceTypeSchema.optional(),
  state: InterfaceStateSchema.optional(),
  description: interfaceDescription().optional(),
  /** Upper bound checked against the device's max-mtu (lo is 65536, a VRF 65575). */
  mtu: integer(68, 0x7fff_ffff).optional(),
  "min-mtu": integer(0, 0x7fff_ffff).optional(),
  "max-mtu": integer(0, 0x7fff_ffff).optional(),
  "mac-address": macAddress().optional(),
  "permanent-mac-address": macAddress().optional(),
  "copy-mac-from": interfaceName().optional(),
  /** The controller (bridge, bond, VRF) this interface is a port of; "" detaches it. */
  controller: z.union([interfaceName(), z.literal("")]).optional(),
  "accept-all-mac-addresses": boolean().optional(),
  ipv4: Ipv4Schema.optional(),
  ipv6: Ipv6Schema.optional(),
  lldp: LldpSchema.optional(),
  /** nmstate's `ethernet` section; only its empty form is accepted (speed/duplex/SR-IOV are unsupported). */
  ethernet: z.strictObject({}).optional(),
  ...KIND_SECTIONS,
});
export type Interface = z.infer<typeof InterfaceSchema>;
