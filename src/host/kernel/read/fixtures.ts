/**
 * For tests: raw dumps captured with this reader (`readRaw`) and checked in
 * under fixtures/ — host-mixed (veth, bridge, vxlan, macvlan, routes, rules
 * on the host kernel) and uml-kinds (bond, VLAN, dummy, VRF, a VLAN-filtering
 * bridge, captured inside User-Mode Linux by test/helpers/uml-show-guest.ts).
 */
import { readFileSync } from "node:fs";
import type { RawKernelState } from "./snapshot.ts";

export type FixtureName = "host-mixed" | "uml-kinds";

export function loadRawFixture(name: FixtureName): RawKernelState {
  const text = readFileSync(new URL(`./fixtures/${name}.raw.json`, import.meta.url), "utf8");
  const parsed = JSON.parse(text) as Omit<RawKernelState, "sysctls"> & { sysctls: Record<string, Record<string, string>> };
  return {
    ...parsed,
    sysctls: new Map(Object.entries(parsed.sysctls).map(([iface, values]) => [iface, new Map(Object.entries(values))])),
  };
}
