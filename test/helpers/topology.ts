/** Small test networks: a host namespace cabled to a gateway namespace. */
import type { TestContext } from "node:test";
import { cable, TestNetns } from "./netns.ts";

export interface HostAndGateway {
  host: TestNetns;
  gateway: TestNetns;
}

/**
 * `host` has eth0 = 192.0.2.10/24 with its default route via `gateway`'s
 * eth0 = 192.0.2.1/24 (set up out of band, as a node would boot), and a
 * spare NIC eth1 cabled to the gateway's eth1 (198.51.100.1/24).
 */
export async function hostWithGateway(t: Pick<TestContext, "after">, label: string, options: { staticAddress?: boolean } = {}): Promise<HostAndGateway> {
  const gateway = await TestNetns.create(`${label}gw`, t);
  const host = await TestNetns.create(label, t);
  await cable(host, "eth0", gateway, "eth0");
  await cable(host, "eth1", gateway, "eth1");
  await gateway.batch(["address add 192.0.2.1/24 dev eth0", "address add 198.51.100.1/24 dev eth1", "link set eth0 up", "link set eth1 up"]);
  const hostSetup = ["link set eth0 up", "link set eth1 up"];
  if (options.staticAddress !== false) hostSetup.push("address add 192.0.2.10/24 dev eth0", "route add default via 192.0.2.1 dev eth0");
  await host.batch(hostSetup);
  return { host, gateway };
}
