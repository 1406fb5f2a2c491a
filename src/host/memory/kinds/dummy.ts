/** Dummy links: nothing of their own. */
import { newLink } from "../model.ts";
import type { MemoryKind } from "./kind.ts";

export const dummyMemory: MemoryKind<"dummy"> = {
  type: "dummy",
  add: (host, name) => void host.links.set(name, newLink(host, name, "dummy")),
};
