/** Linux bridges, kept in the kernel's option names and units (../bridge.ts). */
import { kernelBridgeOptions } from "../../kernel/bridge-options.ts";
import { BRIDGE_DEFAULTS, normaliseBridgeOption, renderBridgeOptions, renderBridgePort } from "../bridge.ts";
import { newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const linuxBridgeMemory: MemoryKind<"linux-bridge"> = {
  type: "linux-bridge",
  add: (host, name) => void host.links.set(name, newLink(host, name, "linux-bridge", { bridge: { ...BRIDGE_DEFAULTS } })),
  load(link, iface) {
    link.bridge = { ...BRIDGE_DEFAULTS };
    for (const [k, v] of Object.entries(kernelBridgeOptions(iface.bridge?.options))) link.bridge[k] = normaliseBridgeOption(k, v);
    if ((iface.bridge?.port ?? []).some((p) => p.vlan)) link.bridge.vlan_filtering = 1;
  },
  render(_host, link, ports) {
    const filtering = Number(link.bridge?.vlan_filtering ?? 0) === 1;
    return { bridge: { options: renderBridgeOptions(link.bridge ?? {}), port: ports.map((p) => renderBridgePort(p.name, p.portOptions, filtering ? p.vlans : undefined)) } };
  },
};
