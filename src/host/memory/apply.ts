/** One operation applied to the in-memory host, with the kernel's effects and refusals. */
import type { Operation } from "../../state/plan/operations.ts";
import { kernelBridgeOptions, kernelBridgePortOptions } from "../kernel/bridge-options.ts";
import { addAddress, deleteAddress, removeAddresses } from "./addresses.ts";
import { addPortVlan, deletePortVlan, setBondOptions, setBridgeOptions, setPortOptions } from "./controllers.ts";
import { setDns, setDynamic, type Leases } from "./dynamic.ts";
import { setLinkState } from "./link-state.ts";
import { addLink, deleteLink, setLink } from "./links.ts";
import { fail, getLink, type MemHost, type MemLink } from "./model.ts";
import { sysctlKey } from "../kernel/commands.ts";
import { setMaster } from "./ports.ts";
import { addMultipathRoute, addRoute, addRule, deleteRoute, deleteRule } from "./routes.ts";

/** The link whose `net/FAMILY/conf/IFACE/KEY` sysctl is written, failing as sysctl does when it is missing. */
function sysctlLink(host: MemHost, family: "ipv4" | "ipv6", name: string, key: string): MemLink {
  const link = host.links.get(name);
  if (!link) fail(`sysctl: cannot stat /proc/sys/${sysctlKey(family, name, key)}: No such file or directory`);
  return link!;
}

function setIpv6(host: MemHost, name: string, enabled: boolean): void {
  const link = sysctlLink(host, "ipv6", name, "disable_ipv6");
  link.ipv6Disabled = !enabled;
  // As the kernel does: turning IPv6 off drops every IPv6 address of the link.
  if (!enabled) link.addresses.ipv6 = [];
}

export function applyOperation(host: MemHost, op: Operation, leases: Leases): void {
  switch (op.op) {
    case "link-add":
      return addLink(host, op.name, op.create);
    case "link-del":
      return deleteLink(host, op.name);
    case "link-set":
      return setLink(host, op);
    case "link-state":
      return setLinkState(host, op.name, op.up);
    case "link-controller":
      return setMaster(host, op.name, op.controller);
    case "bridge-options":
      return setBridgeOptions(host, op.name, { ...kernelBridgeOptions(op.options), ...(op.vlanFiltering !== undefined ? { vlan_filtering: op.vlanFiltering ? 1 : 0 } : {}) });
    case "bond-options":
      return setBondOptions(host, op);
    case "bridge-port-options":
      return setPortOptions(host, op.name, "linux-bridge", kernelBridgePortOptions(op.options));
    case "bond-port-options":
      return setPortOptions(host, op.name, "bond", { queue_id: op.options["queue-id"], prio: op.options.priority });
    case "vlan-add":
      return addPortVlan(host, op);
    case "vlan-del":
      return deletePortVlan(host, op);
    case "addr-add":
      return addAddress(host, op.name, op.ip, op.prefix);
    case "addr-del":
      return deleteAddress(host, op.name, op.ip, op.prefix);
    case "route-add":
      return addRoute(host, op.route);
    case "route-multipath":
      return addMultipathRoute(host, op.routes);
    case "route-del":
      return deleteRoute(host, op.route);
    case "rule-add":
      return addRule(host, op.rule);
    case "rule-del":
      return deleteRule(host, op.rule);
    case "ipv4-forwarding":
      sysctlLink(host, "ipv4", op.name, "forwarding").forwarding = op.enabled;
      return;
    case "ipv6-switch":
      return setIpv6(host, op.name, op.enabled);
    case "ipv6-accept-ra":
      sysctlLink(host, "ipv6", op.name, "accept_ra").acceptRa = op.accept;
      return;
    case "ra-flush":
      // The model hears no router advertisements of its own (its SLAAC is the autoconf lease, stopped by
      // the dynamic operation), so there are no RA routes; dynamic IPv6 addresses go as in the kernel.
      if (op.what === "addresses") {
        const link = getLink(host, op.name);
        removeAddresses(host, link, "ipv6", link.addresses.ipv6.filter((a) => a.dynamic));
      }
      return;
    case "dynamic":
      return setDynamic(host, op.name, op.settings, leases);
    case "dns":
      return setDns(host, op.config);
    case "hostname":
      host.hostname = op.name;
      return;
  }
}
