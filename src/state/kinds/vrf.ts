/** A VRF: a routing table with ports. Its ports keep their own IP configuration. */
import { invalid } from "../issues.ts";
import type { InterfaceKind } from "./kind.ts";

export const vrf: InterfaceKind = {
  type: "vrf",
  section: "vrf",
  aliases: { ports: "port" },
  controller: {
    ports: (iface) => iface.vrf?.port,
    withPorts: (iface, ports) => ({ ...iface, vrf: { ...iface.vrf, port: [...ports].sort() } }),
    portsLoseIp: false,
  },
  create: (t) => ({ kind: "vrf", tableId: t.vrf!["route-table-id"]! }),
  validate({ ctx, path, iface, creating }) {
    const table = iface.vrf?.["route-table-id"];
    if (creating && table === undefined) ctx.report(invalid([...path, "vrf", "route-table-id"], "a new VRF needs a route-table-id"));
    if (table !== undefined && (table === 0 || table === 253 || table === 254 || table === 255)) {
      ctx.report(invalid([...path, "vrf", "route-table-id"], `table ${table} is reserved (0 unspec, 253 default, 254 main, 255 local)`));
    }
    if (iface.ipv4?.dhcp || iface.ipv6?.dhcp) ctx.report(invalid([...path, "ipv4", "dhcp"], "a VRF device does not run DHCP; configure its ports"));
  },
};
