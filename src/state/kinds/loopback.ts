/** `lo`: there on every host, never created or deleted. */
import { invalid } from "../issues.ts";
import type { InterfaceKind } from "./kind.ts";

export const loopback: InterfaceKind = {
  type: "loopback",
  validate({ ctx, path, iface }) {
    if (iface.name !== "lo") ctx.report(invalid([...path, "type"], "the loopback interface is lo"));
    if (iface.ipv4?.dhcp || iface.ipv6?.dhcp) ctx.report(invalid([...path, "ipv4", "dhcp"], "loopback does not run DHCP"));
  },
};
