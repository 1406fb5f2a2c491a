/** Rules about interfaces and how they relate: types, creation needs, ports, controllers. */
import { didYouMean, invalid, warning, type IssuePath } from "../issues.ts";
import { baseOf, declaredPorts, effectiveType, isController, portLosesIp, sameType } from "../model.ts";
import { TYPE_SECTIONS, type Interface } from "../schema/interface.ts";
import type { RuleContext } from "./context.ts";

const ipConfigured = (iface: Interface, family: "ipv4" | "ipv6") => {
  const ip = iface[family];
  if (!ip || ip.enabled === false) return false;
  return Boolean(ip.dhcp || (family === "ipv6" && (ip as { autoconf?: boolean }).autoconf) || (ip.address && ip.address.length));
};

export function checkDeclarations(ctx: RuleContext): void {
  const seen = new Map<string, number>();
  (ctx.desired.interfaces ?? []).forEach((iface, index) => {
    const path: IssuePath = ["interfaces", index];
    if (iface.name === "lo" && iface.state === "absent") ctx.report(invalid([...path, "state"], "the loopback interface lo cannot be removed", "leave lo out of the state, or declare what it should have"));
    const first = seen.get(iface.name);
    if (first !== undefined) {
      ctx.report(invalid([...path, "name"], `${iface.name} is declared twice (also interfaces[${first}])`, "declare each interface once"));
      return;
    }
    seen.set(iface.name, index);
    const current = ctx.currentByName.get(iface.name);
    const type = effectiveType(iface, current);

    if (iface.state === "absent" || iface.state === "ignore") return;

    if (!current && !iface.type) {
      const guess = didYouMean(iface.name, ctx.currentByName.keys());
      ctx.report(
        invalid([...path, "name"], `interface ${iface.name} does not exist, and without a type it cannot be created`, guess ? `did you mean ${guess}? otherwise add a type` : "add its type (linux-bridge, bond, vlan, …)"),
      );
      return;
    }
    if (current && iface.type && !sameType(iface.type, current.type) && current.type !== "unknown") {
      ctx.report(invalid([...path, "type"], `${iface.name} exists as ${current.type}; it cannot become ${iface.type} in place`, "remove it first (state: absent) in a separate change"));
    }
    if (!current && (type === "ethernet" || type === "loopback" || type === "unknown")) {
      ctx.report(invalid([...path, "name"], `${type} interface ${iface.name} does not exist on this host; nodenet cannot create ${type} interfaces`));
    }
    if (type === "loopback" && iface.name !== "lo") ctx.report(invalid([...path, "type"], "the loopback interface is lo"));

    for (const [section, owner] of Object.entries(TYPE_SECTIONS)) {
      if (iface[section as keyof Interface] !== undefined && !sameType(type, owner)) {
        ctx.report(invalid([...path, section], `a ${section} section belongs on a ${owner} interface, not on ${type}`));
      }
    }

    const creating = !current;
    if (type === "bond" && creating && !iface["link-aggregation"]?.mode) {
      ctx.report(invalid([...path, "link-aggregation", "mode"], "a new bond needs a mode", "e.g. mode: active-backup (or 802.3ad with an LACP switch)"));
    }
    if (type === "vlan") {
      const vlan = iface.vlan;
      if (creating && !vlan?.["base-iface"]) ctx.report(invalid([...path, "vlan", "base-iface"], "a new VLAN needs its base interface"));
      if (creating && vlan?.id === undefined) ctx.report(invalid([...path, "vlan", "id"], "a new VLAN needs an id (1–4094)"));
      if (vlan?.id !== undefined && (vlan.id < 1 || vlan.id > 4094)) ctx.report(invalid([...path, "vlan", "id"], `VLAN id ${vlan.id} is out of range: 1–4094 (0 and 4095 are reserved)`));
      if (current?.vlan && vlan?.id !== undefined && current.vlan.id !== undefined && vlan.id !== current.vlan.id) {
        ctx.report(invalid([...path, "vlan", "id"], `the id of existing VLAN ${iface.name} is ${current.vlan.id}; it cannot change in place`, "remove and recreate it"));
      }
    }
    if (type === "vxlan" && creating) {
      if (iface.vxlan?.id === undefined) ctx.report(invalid([...path, "vxlan", "id"], "a new VXLAN needs an id (VNI)"));
      // No remote is an EVPN VXLAN: its forwarding entries come from a control plane (BGP), as nmstate allows.
    }
    if (type === "mac-vlan" && creating && !iface["mac-vlan"]?.["base-iface"]) ctx.report(invalid([...path, "mac-vlan", "base-iface"], "a new MAC-VLAN needs its base interface"));
    if (type === "veth" && creating && !iface.veth?.peer) ctx.report(invalid([...path, "veth", "peer"], "a new veth needs the name of its peer"));
    const peer = iface.veth?.peer;
    if (type === "veth" && creating && peer && ctx.currentByName.has(peer) && ctx.target(peer) !== undefined) {
      ctx.report(invalid([...path, "veth", "peer"], `${peer} already exists on this host; a new veth's peer needs a free name`, "pick another peer name, or remove the existing interface first"));
    }
    if (type === "vrf") {
      const table = iface.vrf?.["route-table-id"];
      if (creating && table === undefined) ctx.report(invalid([...path, "vrf", "route-table-id"], "a new VRF needs a route-table-id"));
      if (table !== undefined && (table === 0 || table === 253 || table === 254 || table === 255)) {
        ctx.report(invalid([...path, "vrf", "route-table-id"], `table ${table} is reserved (0 unspec, 253 default, 254 main, 255 local)`));
      }
    }
    if (type === "vrf" && (iface.ipv4?.dhcp || iface.ipv6?.dhcp)) ctx.report(invalid([...path, "ipv4", "dhcp"], "a VRF device does not run DHCP; configure its ports"));
    if (type === "loopback" && (iface.ipv4?.dhcp || iface.ipv6?.dhcp)) ctx.report(invalid([...path, "ipv4", "dhcp"], "loopback does not run DHCP"));

    const base = baseOf({ ...current, ...iface, type } as Interface);
    if (base && !ctx.target(base)) {
      ctx.report(invalid([...path, type === "vlan" ? "vlan" : type === "vxlan" ? "vxlan" : "mac-vlan", "base-iface"], `base interface ${base} will not exist`));
    }

    const mtu = iface.mtu;
    if (mtu !== undefined) {
      const max = current?.["max-mtu"];
      const min = current?.["min-mtu"];
      if (max && mtu > max) ctx.report(invalid([...path, "mtu"], `${mtu} is above this device's maximum MTU ${max}`));
      if (!max && !current && mtu > 65535) ctx.report(invalid([...path, "mtu"], `${mtu} is above the largest MTU a new ${type} can have (65535)`));
      if (min && mtu < min) ctx.report(invalid([...path, "mtu"], `${mtu} is below this device's minimum MTU ${min}`));
      if (mtu < 1280 && ipConfigured({ ...current, ...iface } as Interface, "ipv6")) {
        ctx.report(invalid([...path, "mtu"], `IPv6 needs an MTU of at least 1280, and ${iface.name} has IPv6 configured`));
      }
    }

    const link = iface["link-aggregation"];
    if (type === "bond") checkBondPorts(ctx, path, iface, link?.mode ?? current?.["link-aggregation"]?.mode);
    if (type === "bond" && link?.options) checkBondOptions(ctx, [...path, "link-aggregation", "options"], link.mode ?? current?.["link-aggregation"]?.mode, link.options);
    if (type === "linux-bridge") {
      checkBridgePortVlans(ctx, path, iface);
      checkStpTimers(ctx, path, iface, current);
    }
  });
}

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

/**
 * A controller inside itself through other controllers (br0 a port of br1, br1
 * a port of br0, at any depth): the kernel refuses it half-way through a
 * plan, so it is refused here, at the port entry that closes the loop.
 */
function checkControllerCycles(ctx: RuleContext, claims: Map<string, { controller: string; path: IssuePath }>): void {
  const declared = new Map((ctx.desired.interfaces ?? []).map((d) => [d.name, d]));
  const controllerOf = (name: string): string | undefined => {
    const claim = claims.get(name)?.controller ?? declared.get(name)?.controller;
    if (claim) return claim;
    const current = ctx.currentByName.get(name)?.controller;
    // A controller whose port list is redeclared keeps only the ports listed there.
    if (!current || (declared.get(current) && declaredPorts(declared.get(current)!) && !claims.has(name))) return undefined;
    return current;
  };
  const reported = new Set<string>();
  for (const [port, claim] of claims) {
    const chain = [port, claim.controller];
    for (let next = controllerOf(claim.controller); next && chain.length <= claims.size + ctx.currentByName.size + 1; next = controllerOf(next)) {
      chain.push(next);
      if (next !== port) continue;
      const loop = [...new Set(chain)].sort().join(",");
      if (!reported.has(loop)) {
        reported.add(loop);
        ctx.report(invalid(claim.path, `${port} would be inside itself: ${chain.join(" → ")} (each a port of the next)`, "a controller cannot be a port of its own ports"));
      }
      break;
    }
  }
}

/** Ports: each has one controller, exists, and carries no IP of its own on a bridge or bond. */
export function checkPorts(ctx: RuleContext): void {
  const claims = new Map<string, { controller: string; path: IssuePath }>();
  (ctx.desired.interfaces ?? []).forEach((iface, index) => {
    if (iface.state === "absent" || iface.state === "ignore") return;
    const type = iface.type ?? ctx.currentByName.get(iface.name)?.type;
    const ports = declaredPorts({ ...iface, ...(type ? { type } : {}) } as Interface);
    if (!ports) return;
    const section = type === "linux-bridge" ? ["bridge", "port"] : type === "bond" ? ["link-aggregation", "port"] : ["vrf", "port"];
    ports.forEach((port, i) => {
      const path: IssuePath = ["interfaces", index, ...section, i];
      const previous = claims.get(port);
      if (previous) {
        ctx.report(invalid(path, `${port} is already a port of ${previous.controller}; an interface has one controller`));
        return;
      }
      claims.set(port, { controller: iface.name, path });
      if (port === iface.name) ctx.report(invalid(path, `${iface.name} cannot be a port of itself`));
      else if (!ctx.target(port)) ctx.report(invalid(path, `port ${port} will not exist`, ctx.currentByName.has(port) ? "it is being removed" : "create it in this state or fix the name"));
      else if (ctx.desired.interfaces?.some((d) => d.name === port && d.controller && d.controller !== iface.name)) {
        ctx.report(invalid(path, `${port} names another controller in its own controller field`));
      }
    });
  });

  checkControllerCycles(ctx, claims);

  const declaredAt = new Map((ctx.desired.interfaces ?? []).map((d, i) => [d.name, i]));
  (ctx.desired.interfaces ?? []).forEach((iface, index) => {
    if (iface.state === "absent" || iface.state === "ignore" || !iface.controller) return;
    const controller = ctx.target(iface.controller);
    // A controller declared with its port list owns it (nmstate: "has controller … but not listed in port list"),
    // an empty list included: the two fields contradict each other, and neither can be picked silently.
    const declaredController = ctx.desired.interfaces?.[declaredAt.get(iface.controller) ?? -1];
    const list = declaredController && controller && iface.state !== "down" ? declaredPorts({ ...declaredController, ...(controller.type ? { type: controller.type } : {}) } as Interface) : undefined;
    if (list && !list.includes(iface.name)) {
      const section = controller!.type === "linux-bridge" ? "bridge.port" : controller!.type === "bond" ? "link-aggregation.port" : "vrf.port";
      ctx.report(
        invalid(["interfaces", index, "controller"], `${iface.name} names ${iface.controller} as its controller, but interfaces[${declaredAt.get(iface.controller)}].${section} of ${iface.controller} does not list it${list.length ? "" : " (it is empty)"}`, `add ${iface.name} to that port list, or leave its controller field out`),
      );
    } else if (!controller) {
      ctx.report(invalid(["interfaces", index, "controller"], `controller ${iface.controller} will not exist`));
    } else if (!isController(controller.type)) {
      ctx.report(invalid(["interfaces", index, "controller"], `${iface.controller} is ${controller.type ? `a ${controller.type}` : "an interface of unknown type"}; only a linux-bridge, bond or vrf can have ports`));
    }
  });

  for (const m of ctx.merged.interfaces.values()) {
    const controllerName = m.merged.controller;
    if (!controllerName || m.merged.state === "absent" || !m.desired) continue;
    const controller = ctx.target(controllerName);
    if (!portLosesIp(controller?.type)) continue;
    for (const family of ["ipv4", "ipv6"] as const) {
      if (ipConfigured(m.desired, family)) {
        ctx.report(
          invalid([...ctx.pathOf(m.name), family], `${m.name} is a port of ${controllerName} and cannot have IP configuration of its own`, `move the ${family} configuration to ${controllerName}`),
        );
      }
    }
    if (controller?.type === "bond" && m.desired.mtu !== undefined) {
      ctx.report(warning([...ctx.pathOf(m.name), "mtu"], `the MTU of bond port ${m.name} follows its bond ${controllerName}; set it on the bond`));
    }
  }
}
