/** Routes and rules: well-formed, reachable, pointing at interfaces that will exist. */
import { invalid, warning, type IssuePath } from "../issues.ts";
import { formatIp, isLinkLocal, networkContains, parseIp, parseNetwork } from "../ip-address.ts";
import { kernelRouteKey } from "../merge/routes.ts";
import type { Interface } from "../schema/interface.ts";
import type { RuleContext } from "./context.ts";
import { checkAddressText, checkNetworkText } from "./addresses.ts";

/** Whether an interface's address comes from DHCP/autoconf (so its subnets are unknown now). */
function dynamicAddressing(iface: Interface, family: 4 | 6): boolean {
  const ip = family === 4 ? iface.ipv4 : iface.ipv6;
  return Boolean(ip?.dhcp || (family === 6 && iface.ipv6?.autoconf));
}

export function checkRoutes(ctx: RuleContext): void {
  const slots = new Map<string, number>();
  (ctx.desired.routes?.config ?? []).forEach((route, index) => {
    if (route.state === "absent" || !route.destination || !parseNetwork(route.destination)) return;
    // Routes of one slot through next hops are one ECMP route (nmstate's
    // multipath); a typed route (blackhole, …) cannot share its slot.
    const key = kernelRouteKey(route);
    const first = slots.get(key);
    const sharable = (r: typeof route | undefined) => r !== undefined && !r["route-type"] && r["next-hop-interface"] !== undefined;
    if (first === undefined) slots.set(key, index);
    else if (!(sharable(route) && sharable(ctx.desired.routes?.config?.[first]))) {
      ctx.report(
        invalid(["routes", "config", index], `routes.config[${first}] has the same destination, table and metric; the kernel keeps one route per destination, table and metric, so this one would replace it`, "give the routes different metrics"),
      );
    }
  });
  (ctx.desired.routes?.config ?? []).forEach((route, index) => {
    const path: IssuePath = ["routes", "config", index];
    const absent = route.state === "absent";
    // In an absent entry an empty string means "has no such value" (see
    // merge/routes.ts); not for the destination, which nmstate checks always.
    const given = (value: string | undefined): value is string => value !== undefined && !(absent && value === "");
    const destination = route.destination !== undefined ? checkNetworkText(ctx, [...path, "destination"], route.destination) : undefined;
    const family = destination?.address.family;
    const hop = given(route["next-hop-address"]) ? checkAddressText(ctx, [...path, "next-hop-address"], route["next-hop-address"], family) : undefined;
    if (given(route.source)) checkAddressText(ctx, [...path, "source"], route.source, family);
    if (absent) return;

    if (route.destination === undefined) ctx.report(invalid([...path, "destination"], "a route needs a destination", "0.0.0.0/0 or ::/0 for a default route"));
    if (destination) {
      const hostBits = destination.address.family === 4 ? 32 : 128;
      const mask = destination.prefix === 0 ? 0n : ((1n << BigInt(destination.prefix)) - 1n) << BigInt(hostBits - destination.prefix);
      if ((destination.address.value & ~mask & ((1n << BigInt(hostBits)) - 1n)) !== 0n) {
        ctx.report(warning([...path, "destination"], `${route.destination} has host bits set; the kernel stores it as its network`));
      }
      // 0.0.0.0/8 is "this network" (RFC 1122), never reached through a gateway; nmstate refuses it (and any
      // subnet of it, a bare 0.0.0.0 included) as a unicast destination: only the default route starts there.
      if (!route["route-type"] && destination.address.family === 4 && destination.prefix >= 8 && destination.address.value >> 24n === 0n) {
        ctx.report(invalid([...path, "destination"], `${route.destination} is inside 0.0.0.0/8, which cannot be a unicast route's destination`, "for a default route use 0.0.0.0/0"));
      }
    }
    if (route["route-type"]) {
      if (route["next-hop-interface"] || route["next-hop-address"]) {
        ctx.report(invalid([...path, "route-type"], `a ${route["route-type"]} route has no next hop`));
      }
      return;
    }
    const ifaceName = route["next-hop-interface"];
    if (!ifaceName) {
      ctx.report(invalid([...path, "next-hop-interface"], "a route needs the interface it leaves through"));
      return;
    }
    const iface = ctx.target(ifaceName);
    if (!iface) {
      const removing = ctx.currentByName.has(ifaceName);
      ctx.report(invalid([...path, "next-hop-interface"], `route via ${ifaceName}, which ${removing ? "this change removes" : "will not exist"}`));
      return;
    }
    if (iface.state === "down") ctx.report(warning([...path, "next-hop-interface"], `${ifaceName} will be down; the kernel will not use this route`));
    if (!hop || route.onlink || isLinkLocal(hop)) return;
    const familyKey = hop.family === 4 ? "ipv4" : "ipv6";
    if (dynamicAddressing(iface, hop.family)) return;
    const subnets = (iface[familyKey]?.enabled === false ? [] : iface[familyKey]?.address ?? [])
      .map((a) => {
        const address = parseIp(a.ip);
        return address ? { address, prefix: a["prefix-length"] } : undefined;
      })
      .filter((n) => n !== undefined);
    if (!subnets.some((n) => networkContains(n, hop))) {
      const have = subnets.map((n) => `${formatIp(n.address)}/${n.prefix}`).join(", ") || "no addresses";
      ctx.report(
        invalid(
          [...path, "next-hop-address"],
          `next hop ${route["next-hop-address"]} is not inside any subnet of ${ifaceName} (${have}); the kernel cannot reach it`,
          "fix the gateway or the interface's address, or set onlink: true if the gateway really is on that link",
        ),
      );
    }
  });

  (ctx.desired["route-rules"]?.config ?? []).forEach((rule, index) => {
    const path: IssuePath = ["route-rules", "config", index];
    const given = (value: string | undefined): value is string => value !== undefined && !(rule.state === "absent" && value === "");
    const from = given(rule["ip-from"]) ? checkNetworkText(ctx, [...path, "ip-from"], rule["ip-from"]) : undefined;
    const to = given(rule["ip-to"]) ? checkNetworkText(ctx, [...path, "ip-to"], rule["ip-to"]) : undefined;
    if (from && to && from.address.family !== to.address.family) ctx.report(invalid([...path, "ip-to"], "ip-from and ip-to are of different families"));
    const family = (from ?? to)?.address.family;
    if (family && rule.family && rule.family !== `ipv${family}`) ctx.report(invalid([...path, "family"], `family ${rule.family} does not match the rule's addresses`));
    if (rule.state === "absent") return;
    if (rule["route-table"] === undefined && rule.action === undefined) ctx.report(invalid([...path, "route-table"], "a rule needs a route-table or an action"));
    if (rule.fwmask !== undefined && rule.fwmark === undefined) ctx.report(invalid([...path, "fwmask"], "fwmask needs fwmark"));
    for (const key of ["iif", "oif"] as const) {
      const name = rule[key];
      if (name && !ctx.target(name)) ctx.report(warning([...path, key], `${name} will not exist; the rule will match nothing until it does`));
    }
  });
}
