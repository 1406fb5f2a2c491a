/** A Linux bridge: ports with STP and VLAN settings, options in nmstate's names (the kernel's are the backend's). */
import { invalid, type IssuePath } from "../issues.ts";
import { deepEqual } from "../objects.ts";
import { changedBridgeOptions, changedPortSettings, DEFAULT_PORT_VLAN, vlanEntries, vlanTable } from "../plan/bridge.ts";
import type { PlanBuilder } from "../plan/builder.ts";
import type { Interface } from "../schema/interface.ts";
import type { RuleContext } from "../validate/context.ts";
import type { InterfaceKind } from "./kind.ts";

export const linuxBridge: InterfaceKind = {
  type: "linux-bridge",
  section: "bridge",
  controller: {
    ports: (iface) => iface.bridge?.port?.map((p) => p.name),
    withPorts(iface, ports) {
      const existing = new Map((iface.bridge?.port ?? []).map((p) => [p.name, p]));
      return { ...iface, bridge: { ...iface.bridge, port: [...ports].sort().map((name) => existing.get(name) ?? { name }) } };
    },
    portsLoseIp: true,
  },
  create: () => ({ kind: "linux-bridge" }),
  validate({ ctx, path, iface, current }) {
    checkBridgePortVlans(ctx, path, iface);
    checkStpTimers(ctx, path, iface, current);
  },
  plan: planBridge,
};

const STP_RANGES = { "forward-delay": [2, 30], "hello-time": [1, 10], "max-age": [6, 40] } as const;

/** 802.1D timer ranges, which the kernel enforces only while STP runs. */
function checkStpTimers(ctx: RuleContext, path: IssuePath, iface: Interface, current: Interface | undefined): void {
  const stp = iface.bridge?.options?.stp;
  if (!stp || !(stp.enabled ?? current?.bridge?.options?.stp?.enabled)) return;
  for (const [key, [min, max]] of Object.entries(STP_RANGES)) {
    const value = stp[key as keyof typeof STP_RANGES];
    if (value !== undefined && (value < min || value > max)) {
      ctx.report(invalid([...path, "bridge", "options", "stp", key], `${value} is out of range while STP is enabled: ${min}–${max} seconds`));
    }
  }
}

function checkBridgePortVlans(ctx: RuleContext, path: IssuePath, iface: Interface): void {
  (iface.bridge?.port ?? []).forEach((port, i) => {
    const vlan = port.vlan;
    if (!vlan) return;
    const at: IssuePath = [...path, "bridge", "port", i, "vlan"];
    if (vlan.mode === "access" && vlan["trunk-tags"]?.length) ctx.report(invalid([...at, "trunk-tags"], "an access port carries one VLAN (tag), not trunk-tags"));
    if (vlan.mode === "access" && vlan.tag === undefined) ctx.report(invalid([...at, "tag"], "an access port needs its VLAN tag"));
    if (vlan.mode === "trunk" && !vlan["trunk-tags"]?.length) ctx.report(invalid([...at, "trunk-tags"], "a trunk port needs trunk-tags"));
    if (vlan["enable-native"] && vlan.tag === undefined) ctx.report(invalid([...at, "tag"], "enable-native needs the native VLAN's tag"));
    if (vlan.mode === "trunk" && vlan.tag !== undefined && !vlan["enable-native"]) {
      ctx.report(invalid([...at, "tag"], "a trunk port's tag is its native VLAN, which needs enable-native: true", "set enable-native: true or drop the tag"));
    }
    const seen: { min: number; max: number; index: number }[] = [];
    (vlan["trunk-tags"] ?? []).forEach((tag, t) => {
      const range = "id-range" in tag ? tag["id-range"] : { min: tag.id, max: tag.id };
      const other = seen.find((r) => range.min <= r.max && r.min <= range.max);
      if (other) ctx.report(invalid([...at, "trunk-tags", t], `overlaps trunk-tags[${other.index}]`, "list each VLAN once"));
      seen.push({ ...range, index: t });
    });
    (vlan["trunk-tags"] ?? []).forEach((tag, t) => {
      if ("id-range" in tag && tag["id-range"].min > tag["id-range"].max) {
        ctx.report(invalid([...at, "trunk-tags", t, "id-range"], `min ${tag["id-range"].min} is above max ${tag["id-range"].max}`));
      }
    });
  });
}

function planBridge(b: PlanBuilder, name: string, t: Interface, c: Interface | undefined): void {
  const options = changedBridgeOptions(t.bridge?.options, c?.bridge?.options);
  const filteringAfter = (t.bridge?.port ?? []).some((p) => p.vlan);
  const filteringBefore = (c?.bridge?.port ?? []).some((p) => p.vlan);
  const vlanFiltering = filteringAfter !== filteringBefore ? { vlanFiltering: filteringAfter } : {};
  if (Object.keys(options).length || filteringAfter !== filteringBefore) b.add("link-options", { op: "bridge-options", name, options, ...vlanFiltering });

  for (const port of t.bridge?.port ?? []) {
    const old = c?.bridge?.port?.find((p) => p.name === port.name);
    const changed = changedPortSettings(port, old);
    if (Object.keys(changed).length) b.add("port-options", { op: "bridge-port-options", name: port.name, options: changed });
    if (!filteringAfter) continue;
    const wantTable = vlanTable(port.vlan ?? DEFAULT_PORT_VLAN);
    // A port that was not filtering (or is new) starts from the kernel's default VLAN 1.
    const haveTable = vlanTable(filteringBefore && old ? old.vlan ?? DEFAULT_PORT_VLAN : DEFAULT_PORT_VLAN);
    const removed = new Map([...haveTable].filter(([vid]) => !wantTable.has(vid)));
    const added = new Map([...wantTable].filter(([vid, flags]) => !deepEqual(haveTable.get(vid), flags)));
    for (const entry of vlanEntries(removed)) b.add("port-options", { op: "vlan-del", port: port.name, entry: { min: entry.min, max: entry.max } });
    for (const entry of vlanEntries(added)) b.add("port-options", { op: "vlan-add", port: port.name, entry });
  }
}
