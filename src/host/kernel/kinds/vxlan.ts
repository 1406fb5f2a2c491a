/**
 * `vxlan` sections from `ip -d` vxlan `info_data`. iproute2 names the
 * addresses by family (`remote`/`remote6`, `local`/`local6`) and prints a
 * multicast destination as `group`/`group6`; nmstate calls all of those
 * `remote`.
 */
import type { IpLink } from "../read/ipjson.ts";
import type { Vxlan } from "../../../state/schema/index.ts";
import { canonicalIp } from "../../../state/ip-address.ts";
import { numberOf, stringOf } from "../read/values.ts";
import type { KernelKind } from "./kind.ts";

export function vxlanSection(link: IpLink): Vxlan {
  const data = link.linkinfo?.info_data ?? {};
  const out: Vxlan = {};
  const id = numberOf(data.id);
  if (id !== undefined) out.id = id;
  const base = stringOf(data.link);
  if (base) out["base-iface"] = base;
  const remote = stringOf(data.remote) ?? stringOf(data.remote6) ?? stringOf(data.group) ?? stringOf(data.group6);
  if (remote) out.remote = canonicalIp(remote);
  const local = stringOf(data.local) ?? stringOf(data.local6);
  if (local) out.local = canonicalIp(local);
  const port = numberOf(data.port);
  if (port !== undefined) out["destination-port"] = port;
  if (typeof data.learning === "boolean") out.learning = data.learning;
  return out;
}

/** Equivalent to: `ip link add NAME type vxlan id VNI [remote R] [local L] [dev BASE] dstport P [nolearning]`. */
export const vxlanKind: KernelKind<"vxlan"> = {
  type: "vxlan",
  infoKind: "vxlan",
  module: "vxlan",
  add: (name, c) => [
    "link", "add", name, "type", "vxlan", "id", String(c.id),
    ...(c.remote ? ["remote", c.remote] : []),
    ...(c.local ? ["local", c.local] : []),
    ...(c.base ? ["dev", c.base] : []),
    "dstport", String(c.destinationPort),
    ...(c.learning === false ? ["nolearning"] : []),
  ],
  read: (link) => ({ vxlan: vxlanSection(link) }),
};
