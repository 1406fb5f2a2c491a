/** One operation applied to the in-memory host, with the kernel's effects and refusals. */
import type { Operation } from "../../state/plan/operations.ts";
import { addAddress, deleteAddress, removeAddresses } from "./addresses.ts";
import { addPortVlan, deletePortVlan, setBondOptions, setBridgeOptions, setPortOptions } from "./controllers.ts";
import { setDns, setDynamic, type Leases } from "./dynamic.ts";
import { setLinkState } from "./link-state.ts";
import { addLink, deleteLink, setLink } from "./links.ts";
import { fail, getLink, type MemHost } from "./model.ts";
import { setMaster } from "./ports.ts";
import { addMultipathRoute, addRoute, addRule, deleteRoute, deleteRule } from "./routes.ts";

/** `net/ipv4/conf/IFACE/forwarding` (a `.` in IFACE is written `/` in the key). */
function setSysctl(host: MemHost, key: string, value: string): void {
  const forwarding = /^net\/ipv4\/conf\/(.+)\/forwarding$/.exec(key);
  if (forwarding) {
    const name = forwarding[1]!.replaceAll("/", ".");
    const link = host.links.get(name);
    if (!link) fail(`sysctl: cannot stat /proc/sys/${key}: No such file or directory`);
    link!.forwarding = value.trim() !== "0";
    return;
  }
  const acceptRa = /^net\/ipv6\/conf\/(.+)\/accept_ra$/.exec(key);
  if (acceptRa) {
    const link = host.links.get(acceptRa[1]!.replaceAll("/", "."));
    if (!link) fail(`sysctl: cannot stat /proc/sys/${key}: No such file or directory`);
    link!.acceptRa = Number(value.trim());
    return;
  }
  const ipv6 = /^net\/ipv6\/conf\/(.+)\/disable_ipv6$/.exec(key);
  if (ipv6) {
    const link = host.links.get(ipv6[1]!.replaceAll("/", "."));
    if (!link) fail(`sysctl: cannot stat /proc/sys/${key}: No such file or directory`);
    link!.ipv6Disabled = value.trim() !== "0";
    // As the kernel does: turning IPv6 off drops every IPv6 address of the link.
    if (link!.ipv6Disabled) link!.addresses.ipv6 = [];
    return;
  }
  host.sysctls.set(key, value);
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
    case "link-master":
      return setMaster(host, op.name, op.master);
    case "bridge-options":
      return setBridgeOptions(host, op.name, op.options);
    case "bond-options":
      return setBondOptions(host, op);
    case "bridge-port":
      return setPortOptions(host, op.name, "linux-bridge", op.options);
    case "bond-port":
      return setPortOptions(host, op.name, "bond", op.options);
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
    case "sysctl":
      return setSysctl(host, op.key, op.value);
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
