/** Bonds: a mode and options (the option handlers are in controllers.ts), ports with queue ids and priorities. */
import { newLink } from "../model.ts";
import { bondMode } from "../links.ts";
import type { MemoryKind } from "./kind.ts";

export const bondMemory: MemoryKind<"bond"> = {
  type: "bond",
  add: (host, name, create) => void host.links.set(name, newLink(host, name, "bond", { bond: { mode: bondMode(create.mode), options: {} } })),
  load(link, iface) {
    link.bond = { mode: iface["link-aggregation"]?.mode ?? "balance-rr", options: structuredClone(iface["link-aggregation"]?.options ?? {}) };
  },
  render: (_host, link, ports) => ({
    "link-aggregation": {
      mode: link.bond!.mode,
      port: ports.map((p) => p.name),
      options: structuredClone(link.bond!.options),
      "ports-config": ports.map((p) => ({ name: p.name, "queue-id": Number(p.portOptions.queue_id ?? 0), priority: Number(p.portOptions.prio ?? 0) })),
    },
  }),
};
