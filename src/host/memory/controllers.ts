/** Controller and port options: `type bridge|bond|bridge_slave|bond_slave …` and bridge port VLANs. */
import type { Operation } from "../../state/plan/operations.ts";
import { addVlans, normaliseBridgeOption } from "./bridge.ts";
import { bondMode } from "./links.ts";
import { fail, getLink, kernelErrors, portsOf, type MemHost, type MemLink } from "./model.ts";

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
