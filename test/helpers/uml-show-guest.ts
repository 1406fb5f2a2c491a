/**
 * Runs INSIDE the User-Mode Linux guest (test/uml/boot.sh): builds the link
 * kinds the host kernel lacks (bond, VLAN, dummy, VRF, a VLAN-filtering
 * bridge) in a throwaway namespace, reads it with the kernel reader and
 * prints `{ raw, state, attempts, spawns }` as JSON on stdout (the raw part
 * is how src/host/kernel/read/fixtures/uml-kinds.raw.json was captured). The
 * namespace is deleted afterwards, also on failure.
 *
 *   test/uml/boot.sh --cwd "$PWD" -- node test/helpers/uml-show-guest.ts
 */
import { bridge, ip, run, spawnCounter } from "../../src/host/kernel/exec.ts";
import { readKernelSnapshot } from "../../src/host/kernel/read/index.ts";
import type { NetworkState } from "../../src/state/schema/index.ts";

export const GUEST_NETNS = "nt-umlshow";

/** The `ip -batch` script the guest runs; the test compares the reader's output with it. */
export const SETUP = [
  "link set lo up",
  "link add eth0 type veth peer name eth0p",
  "link add eth1 type veth peer name eth1p",
  "link add bond0 type bond mode 802.3ad miimon 100 updelay 200 downdelay 200 lacp_rate fast xmit_hash_policy layer3+4 ad_select bandwidth min_links 1",
  "link set eth1 master bond0",
  "link set eth0 master bond0",
  "link add bond1 type bond mode active-backup miimon 0 arp_interval 1000 arp_ip_target 192.0.2.1,192.0.2.2 arp_validate all",
  "link add eth2 type veth peer name eth2p",
  "link add eth3 type veth peer name eth3p",
  "link set eth2 master bond1",
  "link set eth3 master bond1",
  "link set bond1 type bond primary eth2",
  "link add link bond0 name bond0.100 type vlan id 100",
  "link add link eth2p name eth2p.200 type vlan id 200 protocol 802.1ad reorder_hdr off loose_binding on",
  "link add vrf0 type vrf table 1001",
  "link add dummy1 type dummy",
  "link add dummy0 type dummy",
  "link set dummy1 master vrf0",
  "link set dummy0 master vrf0",
  "link add br0 type bridge vlan_filtering 1 vlan_default_pvid 1",
  "link add p1 type veth peer name p1b",
  "link add p2 type veth peer name p2b",
  "link add p3 type veth peer name p3b",
  "link set p1 master br0",
  "link set p2 master br0",
  "link set p3 master br0",
  "link set bond0 up",
  "link set bond0.100 up",
  "link set vrf0 up",
  "link set dummy0 up",
  "link set br0 up",
  "addr add 192.0.2.10/24 dev bond0",
  "addr add 198.51.100.9/24 dev dummy0",
  "route add 203.0.113.0/24 dev dummy0 table 1001 proto static",
];

export const BRIDGE_VLANS = [
  "vlan add vid 10 dev p1 pvid untagged",
  "vlan del vid 1 dev p1",
  "vlan add vid 20-30 dev p2",
  "vlan add vid 40 dev p2",
  "vlan add vid 100 dev p3 pvid untagged",
  "vlan add vid 200-210 dev p3",
  "vlan add vid 300 dev p3",
];

function serialise(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, serialise(v)]));
  if (value instanceof Set) return [...value];
  return value;
}

export interface GuestOutput {
  raw: unknown;
  state: NetworkState;
  dynamicAddresses: string[];
  attempts: number;
  /** Processes the read spawned. */
  spawns: number;
}

/** Builds the namespace, reads it, deletes it. Needs a kernel with bonding, 8021q, dummy, vrf and bridge VLAN filtering. */
export async function captureKinds(): Promise<GuestOutput> {
  await run("ip", ["netns", "add", GUEST_NETNS]);
  try {
    await ip(GUEST_NETNS, ["-batch", "-"], { input: SETUP.join("\n") + "\n" });
    await bridge(GUEST_NETNS, ["-batch", "-"], { input: BRIDGE_VLANS.join("\n") + "\n" });
    const before = spawnCounter.count;
    const snapshot = await readKernelSnapshot(GUEST_NETNS);
    const spawns = spawnCounter.count - before;
    return {
      raw: serialise(snapshot.raw),
      state: snapshot.state,
      dynamicAddresses: [...snapshot.dynamicAddresses],
      attempts: snapshot.attempts,
      spawns,
    };
  } finally {
    await run("ip", ["netns", "delete", GUEST_NETNS]).catch(() => undefined);
  }
}

if (import.meta.main) process.stdout.write(JSON.stringify(await captureKinds()) + "\n");
