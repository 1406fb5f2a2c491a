/**
 * The classic way to lose a node: the interface that carries its default route
 * (its management interface) ends up with no address source — put under a
 * bridge or bond that has no IP configuration, disabled, or removed — while no
 * other interface takes over the default route.
 *
 * This is a warning, not an error: nodenet's probes will prove it on the host
 * and roll back, and some changes are deliberate (a second uplink takes over).
 * `validate --strict` and admission with strict mode turn it into an error.
 */
import { warning } from "../issues.ts";
import { isDefaultDestination } from "../ip-address.ts";
import type { Interface } from "../schema/interface.ts";
import type { RuleContext } from "./context.ts";

function hasAddressSource(iface: Interface | undefined, family: "ipv4" | "ipv6"): boolean {
  const ip = iface?.[family];
  if (!ip || ip.enabled === false) return false;
  return Boolean(ip.dhcp || (family === "ipv6" && (ip as { autoconf?: boolean }).autoconf) || ip.address?.length);
}

export function checkManagementInterface(ctx: RuleContext): void {
  const running = ctx.current.routes?.running ?? [];
  const defaults = running.filter((r) => isDefaultDestination(r.destination) && (r["table-id"] ?? 254) === 254 && r["next-hop-interface"]);
  for (const route of defaults) {
    const name = route["next-hop-interface"]!;
    const family = route.destination === "::/0" ? "ipv6" : "ipv4";
    const m = ctx.merged.interfaces.get(name);
    if (!m) continue;
    const target = m.merged.state === "absent" ? undefined : m.merged;
    // Where will this interface's traffic go? Through its controller, if it gets one.
    const carrier = target?.controller ? ctx.target(target.controller) : target;
    if (carrier && carrier.state !== "down" && hasAddressSource(carrier, family)) continue;
    const takenOver = [...(ctx.desired.routes?.config ?? [])].some(
      (r) => r.state !== "absent" && isDefaultDestination(r.destination) && r.destination === route.destination && r["next-hop-interface"] !== name,
    );
    if (takenOver) continue;
    const how = !target
      ? `is removed`
      : target.state === "down"
        ? `is set down`
        : target.controller
          ? `becomes a port of ${target.controller}, which has no ${family} address, DHCP${family === "ipv6" ? " or autoconf" : ""}`
          : `is left without ${family} address, DHCP${family === "ipv6" ? " or autoconf" : ""}`;
    ctx.report(
      warning(
        ctx.pathOf(target?.controller && ctx.merged.interfaces.get(target.controller)?.desired ? target.controller : name),
        `${name} carries the default route (via ${route["next-hop-address"] ?? "link"}) and ${how}: the host would lose its gateway`,
        target?.controller ? `give ${target.controller} the address configuration (e.g. ${family}: {enabled: true, dhcp: true})` : "keep an address source or move the default route",
      ),
    );
  }
}
