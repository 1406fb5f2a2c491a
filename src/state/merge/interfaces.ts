/**
 * nmstate's interface merge: the desired interfaces laid over the current
 * ones, plus the changes they imply for interfaces the user did not name
 * (ports joining or leaving a controller, VLANs whose base is removed, the
 * peer of a new veth). Every interface the change touches ends up here with
 * its `current` and `merged` (target) forms side by side.
 */
import { baseOf, declaredPorts, effectiveType, isController, portLosesIp, withPorts } from "../model.ts";
import { clone, mergeDeep } from "../objects.ts";
import type { Interface } from "../schema/interface.ts";

export interface MergedInterface {
  name: string;
  /** As the user declared it; undefined when touched only as a consequence. */
  desired?: Interface;
  /** As the host has it now; undefined when it does not exist. */
  current?: Interface;
  /** What the host must have afterwards (full picture: current overlaid with desired and implied changes). */
  merged: Interface;
  /** The keys verification checks: what was declared plus what was implied. */
  verify: Interface;
  /** Why an interface the user did not name is touched ("port of br0"). */
  implied: string[];
}

export type ChangeKind = "create" | "remove" | "change";

export function changeKind(m: MergedInterface): ChangeKind {
  if (m.merged.state === "absent") return "remove";
  return m.current ? "change" : "create";
}

/**
 * A bridge port entry that leaves a setting out keeps the port's current
 * value (the plan changes only what is declared), so the merged port list
 * says what the host will have, and `diff` shows no change where there is none.
 * VLAN settings are not kept: with filtering on, an entry without `vlan`
 * means the kernel's default VLAN.
 */
function withKeptPortSettings(controller: Interface, current: Interface | undefined): Interface {
  const have = new Map((current?.type === "linux-bridge" ? current.bridge?.port ?? [] : []).map((p) => [p.name, p]));
  if (controller.type !== "linux-bridge" || !controller.bridge?.port || have.size === 0) return controller;
  const port = controller.bridge.port.map((p) => {
    const old = have.get(p.name);
    if (!old) return p;
    const kept: Record<string, unknown> = {};
    for (const key of ["stp-priority", "stp-path-cost", "stp-hairpin-mode"] as const) if (p[key] === undefined && old[key] !== undefined) kept[key] = old[key];
    return { ...p, ...kept };
  });
  return { ...controller, bridge: { ...controller.bridge, port } };
}

/**
 * The kernel's router-advertisement switch an enabled IPv6 section implies,
 * as NetworkManager sets it for nmstate: RAs are heard only with `autoconf`
 * (method auto); static addresses, DHCPv6 alone or link-local only (methods
 * manual, dhcp, link-local) ignore them, so a router cannot add addresses or
 * a default route behind the declared state. `enabled: false` leaves the
 * switch alone (IPv6 off is silent whole), as does a section that
 * declares `accept-ra` itself, and an existing interface whose switch was not
 * read. A revert state implies nothing at all (mergeStates' `restoring`): an
 * interface the change touched only by implication (a port, a removed veth's
 * peer) had its switch unread, and rolling back must not set it to 0 —
 * not even on a link the rollback re-creates.
 */
function impliedAcceptRa(declared: Interface, merged: Interface, current: Interface | undefined): number | undefined {
  const ip = declared.ipv6;
  if (!ip || ip.enabled === false || ip["accept-ra"] !== undefined) return undefined;
  if (current && current.ipv6?.["accept-ra"] === undefined) return undefined;
  return merged.ipv6?.autoconf ? 2 : 0;
}

export function mergeInterfaces(desired: readonly Interface[], current: readonly Interface[], options: { restoring?: boolean } = {}): Map<string, MergedInterface> {
  const currentByName = new Map(current.map((iface) => [iface.name, iface]));
  const touched = new Map<string, MergedInterface>();

  const touch = (name: string, reason?: string): MergedInterface => {
    let m = touched.get(name);
    if (!m) {
      const c = currentByName.get(name);
      m = { name, merged: c ? clone(c) : { name }, verify: { name }, implied: [] };
      if (c) m.current = c;
      touched.set(name, m);
    }
    if (reason && !m.desired && !m.implied.includes(reason)) m.implied.push(reason);
    return m;
  };

  for (const d of desired) {
    if (d.state === "ignore") continue;
    const m = touch(d.name);
    m.desired = d;
    if (d.state === "absent") {
      const type = d.type ?? m.current?.type;
      m.merged = { name: d.name, ...(type ? { type } : {}), state: "absent" };
      m.verify = { name: d.name, state: "absent" };
    } else {
      const type = effectiveType(d, m.current);
      m.merged = mergeDeep(m.current ?? { name: d.name }, d);
      m.merged.state = d.state ?? "up";
      if (type) m.merged.type = type;
      m.verify = { ...clone(d), state: d.state ?? "up", ...(d.type ? { type: type! } : {}) };
      const acceptRa = options.restoring ? undefined : impliedAcceptRa(d, m.merged, m.current);
      if (acceptRa !== undefined) {
        m.merged.ipv6 = { ...m.merged.ipv6, "accept-ra": acceptRa };
        m.verify.ipv6 = { ...m.verify.ipv6, "accept-ra": acceptRa };
      }
    }
  }

  const portsOf = (name: string): string[] => {
    const c = currentByName.get(name);
    return (c && declaredPorts(c)) ?? current.filter((i) => i.controller === name).map((i) => i.name);
  };

  const attach = (port: string, controller: MergedInterface) => {
    const pm = touch(port, `port of ${controller.name}`);
    if (pm.merged.state === "absent") return;
    pm.merged.controller = controller.name;
    pm.verify.controller = controller.name;
    if (portLosesIp(controller.merged.type)) {
      // A bridge or bond port carries no IP of its own: its addresses would
      // keep a connected route pointing at the port and silently break
      // traffic through the controller.
      for (const family of ["ipv4", "ipv6"] as const) {
        // Per-interface kernel settings (forwarding, address generation) are not IP configuration: they stay.
        const { forwarding, "addr-gen-mode": addrGenMode, "accept-ra": acceptRa } = (pm.merged[family] ?? {}) as { forwarding?: boolean; "addr-gen-mode"?: "eui64" | "stable-privacy"; "accept-ra"?: number };
        pm.merged[family] = {
          enabled: false,
          ...(forwarding !== undefined ? { forwarding } : {}),
          ...(addrGenMode ? { "addr-gen-mode": addrGenMode } : {}),
          ...(acceptRa !== undefined ? { "accept-ra": acceptRa } : {}),
        };
        pm.verify[family] = { enabled: false };
      }
    }
  };

  const detach = (port: string, from: string) => {
    const pm = touch(port, `leaves ${from}`);
    if (pm.merged.state === "absent" || (pm.desired?.controller && pm.desired.controller !== from)) return;
    pm.merged.controller = "";
    pm.verify.controller = "";
  };

  // Controllers that declare their port list own it: ports join, others leave.
  for (const m of [...touched.values()]) {
    if (!m.desired || m.merged.state === "absent" || !isController(m.merged.type)) continue;
    const ports = declaredPorts({ ...m.desired, type: m.merged.type });
    if (!ports) continue;
    for (const port of ports) attach(port, m);
    for (const old of portsOf(m.name)) if (!ports.includes(old)) detach(old, m.name);
    m.merged = withKeptPortSettings(withPorts(m.merged, ports), m.current);
  }

  // Ports that name their controller join (or, with "", leave) it.
  for (const d of desired) {
    if (d.controller === undefined || d.state === "absent" || d.state === "ignore") continue;
    const previous = currentByName.get(d.name)?.controller;
    if (previous && previous !== d.controller) {
      const pm = touch(previous, `${d.name} leaves it`);
      pm.merged = withPorts(pm.merged, (declaredPorts(pm.merged) ?? portsOf(previous)).filter((p) => p !== d.name));
    }
    if (d.controller === "") {
      detach(d.name, previous ?? "");
      continue;
    }
    const cm = touch(d.controller, `${d.name} joins it`);
    const ports = declaredPorts(cm.merged) ?? portsOf(d.controller);
    if (!ports.includes(d.name)) cm.merged = withKeptPortSettings(withPorts(cm.merged, [...ports, d.name]), cm.current);
    attach(d.name, cm);
  }

  // Removing an interface removes what is built on it and frees its ports.
  let changed = true;
  while (changed) {
    changed = false;
    for (const m of [...touched.values()]) {
      if (m.merged.state !== "absent" || !m.current) continue;
      for (const other of current) {
        const dependent = baseOf(other) === m.name || (other.type === "veth" && other.veth?.peer === m.name);
        if (dependent) {
          const om = touch(other.name, baseOf(other) === m.name ? `its base ${m.name} is removed` : `its veth peer ${m.name} is removed`);
          if (om.merged.state !== "absent") {
            om.merged = { name: other.name, type: other.type ?? "unknown", state: "absent" };
            om.verify = { name: other.name, state: "absent" };
            changed = true;
          }
        }
        if (other.controller === m.name && isController(m.current.type)) {
          const om = touched.get(other.name);
          if (!om || (om.merged.state !== "absent" && om.merged.controller === m.name)) {
            detach(other.name, m.name);
            changed = true;
          }
        }
      }
      // A removed port leaves its controller's list.
      const controller = m.current.controller;
      if (controller) {
        const cm = touched.get(controller) ?? touch(controller, `its port ${m.name} is removed`);
        const ports = declaredPorts(cm.merged);
        if (cm.merged.state !== "absent" && ports?.includes(m.name)) {
          cm.merged = withPorts(cm.merged, ports.filter((p) => p !== m.name));
        }
      }
    }
  }

  // A new veth brings its peer into existence.
  for (const m of [...touched.values()]) {
    const peer = m.merged.type === "veth" && !m.current && m.merged.state !== "absent" ? m.merged.veth?.peer : undefined;
    if (!peer) continue;
    const pm = touch(peer, `veth peer of ${m.name}`);
    if (pm.current || pm.merged.state === "absent") continue;
    // The peer may already carry implied changes (a controller that lists it as a port): keep them.
    pm.merged = { ...pm.merged, type: pm.merged.type ?? "veth", state: pm.merged.state ?? "up", veth: { ...pm.merged.veth, peer: m.name } };
  }

  // copy-mac-from: the controller takes the named port's current MAC.
  for (const m of touched.values()) {
    const source = m.merged["copy-mac-from"];
    const mac = source ? currentByName.get(source)?.["mac-address"] : undefined;
    if (mac && m.merged.state !== "absent") {
      m.merged["mac-address"] = mac;
      m.verify["mac-address"] = mac;
    }
    // An instruction, not a property the host can report back.
    delete m.merged["copy-mac-from"];
    delete m.verify["copy-mac-from"];
  }

  return touched;
}
