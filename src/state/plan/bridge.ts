/**
 * What a bridge change consists of, in nmstate's terms: which options and
 * port settings differ, and a port's VLANs as a per-VLAN table and as ranges.
 * The translation to kernel names and units is the kernel backend's
 * (src/host/kernel/bridge-options.ts).
 */
import type { BridgeOptions, BridgePort, BridgePortVlan, TrunkTag } from "../schema/bridge.ts";
import type { BridgePortSettings, VlanEntry } from "./operations.ts";

type SettableOptions = Omit<BridgeOptions, "allow-extra-ports">;

/**
 * The options of `want` that differ from `have` (STP timers one by one), as
 * a partial options object; `allow-extra-ports` is nodenet's own and never a
 * host setting.
 */
export function changedBridgeOptions(want: BridgeOptions | undefined, have: BridgeOptions | undefined): SettableOptions {
  const out: SettableOptions = {};
  for (const [key, value] of Object.entries(want ?? {}) as [keyof BridgeOptions, unknown][]) {
    if (key === "allow-extra-ports" || value === undefined) continue;
    if (key === "stp") {
      const stp: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as object)) if (v !== undefined && v !== (have?.stp as Record<string, unknown> | undefined)?.[k]) stp[k] = v;
      if (Object.keys(stp).length) out.stp = stp;
    } else if (!bridgeOptionEqual(key, value, have?.[key])) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** A port's own settings that `want` declares and `have` does not already hold. */
export function changedPortSettings(want: BridgePort, have: BridgePort | undefined): BridgePortSettings {
  const out: BridgePortSettings = {};
  if (want["stp-priority"] !== undefined && want["stp-priority"] !== have?.["stp-priority"]) out["stp-priority"] = want["stp-priority"];
  if (want["stp-path-cost"] !== undefined && want["stp-path-cost"] !== have?.["stp-path-cost"]) out["stp-path-cost"] = want["stp-path-cost"];
  if (want["stp-hairpin-mode"] !== undefined && want["stp-hairpin-mode"] !== have?.["stp-hairpin-mode"]) out["stp-hairpin-mode"] = want["stp-hairpin-mode"];
  return out;
}

/** The kernel's default for a port once VLAN filtering is on: VLAN 1, PVID, untagged. */
export const DEFAULT_PORT_VLAN: BridgePortVlan = { mode: "access", tag: 1 };

/** Per-VLAN view of a port's VLAN config: vid → {pvid, untagged}. */
export function vlanTable(vlan: BridgePortVlan | undefined): Map<number, { pvid: boolean; untagged: boolean }> {
  const table = new Map<number, { pvid: boolean; untagged: boolean }>();
  if (!vlan) return table;
  if (vlan.mode === "access" || (vlan.mode === undefined && !vlan["trunk-tags"])) {
    if (vlan.tag !== undefined) table.set(vlan.tag, { pvid: true, untagged: true });
    return table;
  }
  for (const tag of vlan["trunk-tags"] ?? []) {
    const [min, max] = "id" in tag ? [tag.id, tag.id] : [tag["id-range"].min, tag["id-range"].max];
    for (let vid = min; vid <= max; vid++) table.set(vid, { pvid: false, untagged: false });
  }
  if (vlan["enable-native"] && vlan.tag !== undefined) table.set(vlan.tag, { pvid: true, untagged: true });
  return table;
}

/** Compresses a vid table into entries (ranges of equal flags). */
export function vlanEntries(table: Map<number, { pvid: boolean; untagged: boolean }>): VlanEntry[] {
  const vids = [...table.keys()].sort((a, b) => a - b);
  const entries: VlanEntry[] = [];
  for (const vid of vids) {
    const flags = table.get(vid)!;
    const last = entries.at(-1);
    // The kernel refuses a PVID on a range, so a PVID entry always stands alone.
    if (last && !flags.pvid && !last.pvid && last.max === vid - 1 && Boolean(last.untagged) === flags.untagged) {
      last.max = vid;
      continue;
    }
    entries.push({ min: vid, max: vid, ...(flags.pvid ? { pvid: true } : {}), ...(flags.untagged ? { untagged: true } : {}) });
  }
  return entries;
}

/**
 * A port's VLAN entries (ranges of equal flags, as `vlanEntries` makes them or
 * the kernel lists them) in nmstate's form — how nmstate derives it: a
 * single PVID+untagged VLAN is an access port; otherwise a trunk whose
 * PVID+untagged VLAN is the native `tag`. VLAN 1 (the kernel's default PVID)
 * is not reported; undefined for a port with only the default.
 */
export function portVlanOf(entries: readonly VlanEntry[]): BridgePortVlan | undefined {
  const access = entries.length === 1 && entries[0]!.pvid && entries[0]!.untagged;
  let tag: number | undefined;
  let native = false;
  const trunkTags: TrunkTag[] = [];
  for (const r of entries) {
    if (r.min === 1 && r.max === 1) continue;
    if (access) tag = r.min;
    else if (r.pvid && r.untagged) {
      tag = r.max;
      native = true;
    } else if (r.min === r.max) trunkTags.push({ id: r.min });
    else trunkTags.push({ "id-range": { min: r.min, max: r.max } });
  }
  if (trunkTags.length === 0) return tag === undefined ? undefined : { mode: "access", tag, "trunk-tags": [] };
  return { mode: "trunk", ...(tag !== undefined ? { tag } : {}), "enable-native": native, "trunk-tags": trunkTags };
}

/**
 * Hosts keep multicast intervals in their own clock ticks, so an interval
 * comes back rounded (3125 reads 3124 at 250 ticks a second): a difference
 * of one is "equal".
 */
export function bridgeOptionEqual(key: string, want: unknown, have: unknown): boolean {
  if (want === have) return true;
  return /^multicast-.*-interval$/.test(key) && typeof want === "number" && typeof have === "number" && Math.abs(want - have) <= 1;
}
