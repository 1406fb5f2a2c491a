/** A bond: ports under one of the bonding driver's modes; the mode changes only with the bond down and empty. */
import { invalid, type IssuePath } from "../issues.ts";
import { deepEqual } from "../objects.ts";
import type { PlanBuilder } from "../plan/builder.ts";
import type { BondPortSettings } from "../plan/operations.ts";
import type { Interface } from "../schema/interface.ts";
import type { RuleContext } from "../validate/context.ts";
import type { InterfaceKind } from "./kind.ts";

export const bond: InterfaceKind = {
  type: "bond",
  section: "link-aggregation",
  controller: {
    ports: (iface) => iface["link-aggregation"]?.port,
    withPorts: (iface, ports) => ({ ...iface, "link-aggregation": { ...iface["link-aggregation"], port: [...ports].sort() } }),
    portsLoseIp: true,
  },
  create: (t) => ({ kind: "bond", mode: t["link-aggregation"]?.mode ?? "balance-rr" }),
  validate({ ctx, path, iface, current, creating }) {
    const link = iface["link-aggregation"];
    if (creating && !link?.mode) ctx.report(invalid([...path, "link-aggregation", "mode"], "a new bond needs a mode", "e.g. mode: active-backup (or 802.3ad with an LACP switch)"));
    const mode = link?.mode ?? current?.["link-aggregation"]?.mode;
    checkBondPorts(ctx, path, iface, mode);
    if (link?.options) checkBondOptions(ctx, [...path, "link-aggregation", "options"], mode, link.options);
  },
  plan: planBond,
};

/** Queue ids must differ between ports (0 is the default queue, shared); fail_over_mac active owns the bond's MAC. */
function checkBondPorts(ctx: RuleContext, path: IssuePath, iface: Interface, mode: string | undefined): void {
  const link = iface["link-aggregation"];
  const queues = new Map<number, number>();
  (link?.["ports-config"] ?? []).forEach((port, i) => {
    const queue = port["queue-id"];
    if (!queue) return;
    const first = queues.get(queue);
    if (first !== undefined) ctx.report(invalid([...path, "link-aggregation", "ports-config", i, "queue-id"], `queue-id ${queue} is already given to ports-config[${first}]`));
    else queues.set(queue, i);
  });
  if (iface["mac-address"] && mode === "active-backup" && link?.options?.fail_over_mac === "active") {
    ctx.report(invalid([...path, "mac-address"], "with fail_over_mac: active the bond takes its active port's MAC address; it cannot have its own", "drop mac-address or fail_over_mac"));
  }
}

function checkBondOptions(ctx: RuleContext, path: IssuePath, mode: string | undefined, options: NonNullable<Interface["link-aggregation"]>["options"] & object): void {
  const only = (names: string[], modes: string[]) => {
    for (const name of names) {
      if ((options as Record<string, unknown>)[name] !== undefined && mode && !modes.includes(mode)) {
        ctx.report(invalid([...path, name], `${name} applies only to bond mode ${modes.join(" or ")}, not ${mode}`));
      }
    }
  };
  // Only options the kernel itself refuses outside their modes (bond_opts
  // "unsuppmodes"); min_links and primary_reselect are accepted in any mode
  // and nmstate's show reports them for every bond.
  only(["lacp_rate", "ad_select", "ad_actor_sys_prio", "ad_actor_system", "ad_user_port_key", "lacp_active"], ["802.3ad"]);
  only(["primary"], ["active-backup", "balance-tlb", "balance-alb"]);
  only(["xmit_hash_policy"], ["balance-xor", "802.3ad", "balance-tlb"]);
  only(["arp_interval", "arp_ip_target", "arp_validate"], ["balance-rr", "active-backup", "balance-xor", "broadcast"]);
  if ((options.miimon ?? 0) > 0 && (options.arp_interval ?? 0) > 0) {
    ctx.report(invalid([...path, "arp_interval"], "MII monitoring (miimon) and ARP monitoring (arp_interval) cannot both be on", "set one of them to 0"));
  }
  if (options.ad_actor_system && /^[0-9a-f]{2}/i.test(options.ad_actor_system) && (Number.parseInt(options.ad_actor_system.slice(0, 2), 16) & 1) === 1) {
    ctx.report(invalid([...path, "ad_actor_system"], `${options.ad_actor_system} is a multicast MAC address; the kernel refuses it as an LACP system id`));
  }
  if ((options.arp_interval ?? 0) > 0 && !options.arp_ip_target?.length) {
    ctx.report(invalid([...path, "arp_ip_target"], "ARP monitoring needs at least one arp_ip_target"));
  }
}

function planBond(b: PlanBuilder, name: string, t: Interface, c: Interface | undefined): void {
  const want = t["link-aggregation"];
  const have = c?.["link-aggregation"];
  const changed: Record<string, unknown> = {};
  let primary: string | undefined;
  for (const [k, v] of Object.entries(want?.options ?? {})) {
    if (deepEqual((have?.options as Record<string, unknown> | undefined)?.[k], v)) continue;
    if (k === "primary") primary = v as string;
    else changed[k] = v;
  }
  if (c && want?.mode && have?.mode && want.mode !== have.mode) {
    // The kernel changes a bond's mode only while it is down and has no ports;
    // the ports are attached again by the attach phase.
    for (const port of have.port ?? []) b.add("detach", { op: "link-controller", name: port, controller: null });
    b.add("detach", { op: "link-state", name, up: false });
    b.add("link-options", { op: "bond-options", name, options: { mode: want.mode } });
    // Ports that stay are attached again (down, as the driver wants them) and everything comes back up.
    const stay = (want.port ?? have.port ?? []).filter((p) => (have.port ?? []).includes(p));
    for (const port of stay) {
      b.add("attach", { op: "link-state", name: port, up: false });
      b.add("attach", { op: "link-controller", name: port, controller: name });
    }
    if (t.state !== "down") {
      b.add("link-up", { op: "link-state", name, up: true });
      for (const port of stay) b.add("link-up", { op: "link-state", name: port, up: true });
    }
  }
  if (Object.keys(changed).length) b.add("link-options", { op: "bond-options", name, options: changed as never });
  if (primary) b.add("port-options", { op: "bond-options", name, options: { primary } });
  for (const pc of want?.["ports-config"] ?? []) {
    const old = have?.["ports-config"]?.find((p) => p.name === pc.name);
    const options: BondPortSettings = {};
    if (pc["queue-id"] !== undefined && pc["queue-id"] !== old?.["queue-id"]) options["queue-id"] = pc["queue-id"];
    if (pc.priority !== undefined && pc.priority !== old?.priority) options.priority = pc.priority;
    if (Object.keys(options).length) b.add("port-options", { op: "bond-port-options", name: pc.name, options });
  }
}
