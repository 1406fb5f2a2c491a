/** A link with no wire: an address holder. Nothing of its own to configure. */
import type { InterfaceKind } from "./kind.ts";

export const dummy: InterfaceKind = { type: "dummy", create: () => ({ kind: "dummy" }) };
