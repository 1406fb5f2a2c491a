/** `ip link add …` for each kind of link nodenet creates. */
import type { LinkCreate } from "../../../state/plan/operations.ts";

export function linkAddArgs(name: string, create: LinkCreate): string[] {
  switch (create.kind) {
    case "linux-bridge":
      return ["link", "add", name, "type", "bridge"];
    case "dummy":
      return ["link", "add", name, "type", "dummy"];
    case "bond":
      return ["link", "add", name, "type", "bond", "mode", create.mode];
    case "vlan":
      return ["link", "add", "link", create.base, "name", name, "type", "vlan", "id", String(create.id), ...(create.protocol ? ["protocol", create.protocol] : [])];
    case "vxlan":
      return [
        "link", "add", name, "type", "vxlan", "id", String(create.id),
        ...(create.remote ? ["remote", create.remote] : []),
        ...(create.local ? ["local", create.local] : []),
        ...(create.base ? ["dev", create.base] : []),
        "dstport", String(create.destinationPort),
        ...(create.learning === false ? ["nolearning"] : []),
      ];
    case "mac-vlan":
      return ["link", "add", "link", create.base, "name", name, "type", "macvlan", "mode", create.mode, ...(create.promiscuous === false ? ["nopromisc"] : [])];
    case "veth":
      return ["link", "add", name, "type", "veth", "peer", "name", create.peer];
    case "vrf":
      return ["link", "add", name, "type", "vrf", "table", String(create.tableId)];
  }
}
