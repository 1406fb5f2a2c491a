/** `vrf` sections from `ip -d` vrf `info_data` (`{table}`) and the links enslaved to it. */
import type { IpLink } from "../read/ipjson.ts";
import type { Vrf } from "../../../state/schema/index.ts";
import { byName, numberOf } from "../read/values.ts";
import type { KernelKind } from "./kind.ts";

/** @param ports the links whose master is this VRF */
export function vrfSection(link: IpLink, ports: readonly IpLink[]): Vrf {
  const out: Vrf = { port: [...ports].sort(byName).map((p) => p.ifname) };
  const table = numberOf(link.linkinfo?.info_data?.table);
  if (table !== undefined) out["route-table-id"] = table;
  return out;
}

/** Equivalent to: `ip link add NAME type vrf table T`. */
export const vrfKind: KernelKind<"vrf"> = {
  type: "vrf",
  infoKind: "vrf",
  module: "vrf",
  add: (name, c) => ["link", "add", name, "type", "vrf", "table", String(c.tableId)],
  read: (link, ports) => ({ vrf: vrfSection(link, ports) }),
};
