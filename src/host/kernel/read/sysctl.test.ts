import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipv4Section, ipv6Section, dynamicAddressesOf } from "./address.ts";
import type { IpLink } from "./ipjson.ts";
import { parseSysctlLines, sysctlPaths } from "./sysctl.ts";

describe("sysctl lines", () => {
  it("lists six files per interface and parses `grep -H` output back", () => {
    assert.deepEqual(sysctlPaths(["eth0.100"]).slice(0, 2), ["/proc/sys/net/ipv4/conf/eth0.100/forwarding", "/proc/sys/net/ipv6/conf/eth0.100/disable_ipv6"]);
    const parsed = parseSysctlLines("/proc/sys/net/ipv4/conf/eth0.100/forwarding:1\n/proc/sys/net/ipv6/conf/eth0.100/accept_ra:2\nnoise\n");
    assert.deepEqual(Object.fromEntries(parsed.get("eth0.100")!), { "ipv4/forwarding": "1", "ipv6/accept_ra": "2" });
  });
});

describe("ip sections", () => {
  const link: IpLink = {
    ifindex: 2,
    ifname: "eth0",
    flags: ["BROADCAST", "UP"],
    addr_info: [
      { family: "inet", local: "192.0.2.1", prefixlen: 24, valid_life_time: 4294967295 },
      { family: "inet", local: "192.0.2.50", prefixlen: 24, valid_life_time: 3600, dynamic: true },
      { family: "inet6", local: "2001:0db8::1", prefixlen: 64, valid_life_time: 4294967295 },
      { family: "inet6", local: "fe80::1", prefixlen: 64, valid_life_time: 4294967295 },
    ],
  };
  const sysctl = (values: Record<string, string>) => new Map(Object.entries(values));
  const defaults = { "ipv4/forwarding": "0", "ipv6/disable_ipv6": "0", "ipv6/autoconf": "1", "ipv6/accept_ra": "1", "ipv6/forwarding": "0", "ipv6/addr_gen_mode": "0" };

  it("lists addresses in kernel order without lifetimes or IPv6 link-local ones", () => {
    assert.deepEqual(ipv4Section(link, sysctl(defaults)), {
      enabled: true,
      dhcp: false,
      address: [{ ip: "192.0.2.1", "prefix-length": 24 }, { ip: "192.0.2.50", "prefix-length": 24 }],
      forwarding: false,
    });
    assert.deepEqual(ipv6Section(link, sysctl(defaults)), {
      enabled: true,
      dhcp: false,
      address: [{ ip: "2001:db8::1", "prefix-length": 64 }],
      autoconf: true,
      "accept-ra": 1,
      "addr-gen-mode": "eui64",
    });
  });

  it("names the dynamic addresses separately", () => {
    assert.deepEqual(dynamicAddressesOf(link), ["eth0/192.0.2.50/24"]);
  });

  it("derives ipv6 enabled and autoconf from the sysctls", () => {
    assert.equal(ipv6Section(link, sysctl({ ...defaults, "ipv6/disable_ipv6": "1" })).enabled, false);
    assert.equal(ipv6Section(link, sysctl({ ...defaults, "ipv6/accept_ra": "0" })).autoconf, false);
    assert.equal(ipv6Section(link, sysctl({ ...defaults, "ipv6/forwarding": "1" })).autoconf, false, "accept_ra 1 ignores RAs when forwarding");
    assert.equal(ipv6Section(link, sysctl({ ...defaults, "ipv6/forwarding": "1", "ipv6/accept_ra": "2" })).autoconf, true);
    assert.equal(ipv6Section(link, sysctl({ ...defaults, "ipv6/autoconf": "0" })).autoconf, false);
    assert.equal(ipv6Section(link, sysctl({ ...defaults, "ipv6/addr_gen_mode": "2" }))["addr-gen-mode"], "stable-privacy");
  });

  it("falls back to the addresses when the sysctls could not be read", () => {
    const section = ipv6Section(link, undefined);
    assert.equal(section.enabled, true);
    assert.equal(section.autoconf, undefined);
    assert.equal(ipv4Section({ ifindex: 3, ifname: "x" }, undefined).enabled, false);
  });
});
