/** Dummy links: nothing of their own to read. */
import type { KernelKind } from "./kind.ts";

/** Equivalent to: `ip link add NAME type dummy`. */
export const dummyKind: KernelKind<"dummy"> = {
  type: "dummy",
  infoKind: "dummy",
  module: "dummy",
  add: (name) => ["link", "add", name, "type", "dummy"],
};
