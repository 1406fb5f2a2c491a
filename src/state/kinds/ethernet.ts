/** NICs: found on the host, never created or deleted. nmstate's `ethernet` section only in its empty form. */
import type { InterfaceKind } from "./kind.ts";

export const ethernet: InterfaceKind = { type: "ethernet" };
