/** Rules about interfaces and how they relate: types, creation needs, ports, controllers. */
import { didYouMean, invalid, warning, type IssuePath } from "../issues.ts";
import { baseOf, declaredPorts, effectiveType, isController, portLosesIp, sameType } from "../model.ts";
import { kindOf } from "../kinds/index.ts";
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

    for (const [section, owner] of Object.entries(TYPE_SECTIONS)) {
      if (iface[section as keyof Interface] !== undefined && !sameType(type, owner)) {
        ctx.report(invalid([...path, section], `a ${section} section belongs on a ${owner} interface, not on ${type}`));
      }
    }

    const creating = !current;
    kindOf(type)?.validate?.({ ctx, path, iface, current, creating });

    const base = baseOf({ ...current, ...iface, type } as Interface);
    if (base && !ctx.target(base)) {
      ctx.report(invalid([...path, kindOf(type)?.section ?? "type", "base-iface"], `base interface ${base} will not exist`));
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
