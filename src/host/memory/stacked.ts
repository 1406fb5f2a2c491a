/**
 * Kinds with no module in kinds/: a link on an optional base whose section is
 * what the state model's kind module says a new one reports. It takes its
 * base's MTU, cannot exceed it, and goes with its base (links.ts). A kind
 * with more behaviour than that gets its own module.
 */
import { kindOf } from "../../state/kinds/index.ts";
import type { LinkCreate } from "../../state/plan/operations.ts";
import type { Interface } from "../../state/schema/interface.ts";
import { getLink, kernelErrors, newLink, type MemHost, type MemLink } from "./model.ts";

/** `ip link add [link BASE] NAME type …` */
export function addStacked(host: MemHost, name: string, create: LinkCreate): void {
  const kind = kindOf(create.kind);
  const section = kind?.reported?.(create);
  if (!kind || !section) throw kernelErrors.notSupported();
  const lowerName = kind.base?.({ name, type: kind.type, ...section } as Interface);
  const lower = lowerName ? getLink(host, lowerName) : undefined;
  host.links.set(name, newLink(host, name, kind.type, { mtu: lower?.mtu ?? 1500, ...(lower ? { lower: lower.name } : {}), section }));
}

/** A stacked link from an initial state's declaration. */
export function loadStacked(link: MemLink, iface: Interface): void {
  const kind = kindOf(iface.type);
  const key = kind?.section;
  if (!kind || !key || iface[key] === undefined) return;
  link.section = { [key]: structuredClone(iface[key]) } as Partial<Interface>;
  const lower = kind.base?.(iface);
  if (lower) link.lower = lower;
}
