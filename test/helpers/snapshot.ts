/** Everything the kernel reports about a test namespace, through iproute2 only (not nodenet), for "the host is as before" checks. */
import type { TestNetns } from "./netns.ts";

export async function kernelSnapshot(ns: TestNetns): Promise<string> {
  const [links, addrs, routes4, routes6] = await Promise.all([
    ns.ip(["-br", "link"]),
    ns.ip(["-br", "addr"]),
    ns.ip(["route", "show", "table", "all"]),
    ns.ip(["-6", "route", "show", "table", "all"]),
  ]);
  return [links.stdout, addrs.stdout, routes4.stdout, routes6.stdout].join("\n");
}
