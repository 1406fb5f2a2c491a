/**
 * How far an interface sits from the wire: NICs 0, a bond over two NICs 1, a
 * VLAN on that bond 2, a bridge over the VLAN 3. Creating and bringing up go
 * by increasing depth, removing by decreasing depth — at any nesting depth.
 */
import { baseOf, declaredPorts, isController } from "../model.ts";
import type { Interface } from "../schema/interface.ts";

export function depths(interfaces: Iterable<Interface>): Map<string, number> {
  const byName = new Map<string, Interface>();
  for (const iface of interfaces) byName.set(iface.name, iface);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const iface = byName.get(name);
    if (!iface || visiting.has(name)) return 0;
    visiting.add(name);
    let d = 0;
    const base = baseOf(iface);
    if (base) d = 1 + depth(base);
    if (isController(iface.type)) {
      const ports = declaredPorts(iface) ?? [...byName.values()].filter((i) => i.controller === name).map((i) => i.name);
      for (const port of ports) d = Math.max(d, 1 + depth(port));
    }
    visiting.delete(name);
    memo.set(name, d);
    return d;
  };
  for (const name of byName.keys()) depth(name);
  return memo;
}
