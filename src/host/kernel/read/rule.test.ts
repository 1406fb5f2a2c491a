import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isKernelDefault, ruleEntry, rulesSection } from "./rule.ts";

describe("rules", () => {
  it("leaves out the kernel's default rules", () => {
    assert.equal(isKernelDefault({ priority: 0, src: "all", table: "255", protocol: "2" }), true);
    assert.equal(isKernelDefault({ priority: 32766, src: "all", table: "254", protocol: "2" }), true);
    assert.equal(isKernelDefault({ priority: 32767, src: "all", table: "253", protocol: "2" }), true);
    assert.equal(isKernelDefault({ priority: 32766, src: "all", table: "100", protocol: "0" }), false);
    assert.equal(isKernelDefault({ priority: 0, src: "192.0.2.0", srclen: 24, table: "255" }), false);
  });

  it("reports every representable field, in schema order", () => {
    const entry = ruleEntry({ priority: 600, src: "192.0.2.5", dst: "198.51.100.0", dstlen: 24, fwmark: "0x10", fwmask: "0xff", iif: "eth0", oif: "eth1", table: "200", protocol: "0" }, 4);
    assert.deepEqual(entry, {
      "ip-from": "192.0.2.5/32",
      "ip-to": "198.51.100.0/24",
      priority: 600,
      "route-table": 200,
      fwmark: 16,
      fwmask: 255,
      family: "ipv4",
      iif: "eth0",
      oif: "eth1",
    });
    assert.deepEqual(Object.keys(entry!), ["ip-from", "ip-to", "priority", "route-table", "fwmark", "fwmask", "family", "iif", "oif"]);
  });

  it("reports actions instead of a table, and suppress-prefix-length", () => {
    assert.deepEqual(ruleEntry({ priority: 501, src: "all", action: "6", protocol: "0" }, 6), { priority: 501, family: "ipv6", action: "blackhole" });
    assert.deepEqual(ruleEntry({ priority: 800, src: "all", table: "main", suppress_prefixlen: 0 }, 4), {
      priority: 800,
      "route-table": 254,
      family: "ipv4",
      "suppress-prefix-length": 0,
    });
  });

  it("leaves out rules with selectors or actions the schema cannot express", () => {
    assert.equal(ruleEntry({ priority: 900, src: "all", tos: "0x10", table: "300" }, 4), undefined);
    assert.equal(ruleEntry({ priority: 1000, src: "all", l3mdev: true }, 4), undefined);
    assert.equal(ruleEntry({ priority: 1001, src: "all", not: true, table: "100" }, 4), undefined);
    assert.equal(ruleEntry({ priority: 1002, src: "all", action: "3" }, 4), undefined);
  });

  it("sorts IPv4 before IPv6, then by priority", () => {
    const rules = rulesSection(
      [{ priority: 2000, src: "all", table: "100" }, { priority: 1000, src: "all", table: "101" }],
      [{ priority: 500, src: "2001:db8::", srclen: 32, table: "200" }],
    );
    assert.deepEqual(rules.map((r) => `${r.family} ${r.priority}`), ["ipv4 1000", "ipv4 2000", "ipv6 500"]);
    assert.equal(rules[2]?.["ip-from"], "2001:db8::/32");
  });

  it("keeps the kernel's order among rules of one priority (the order it tries them)", () => {
    const rules = rulesSection([{ priority: 100, src: "all", table: "302" }, { priority: 100, src: "all", table: "300" }, { priority: 100, src: "all", table: "301" }], []);
    assert.deepEqual(rules.map((r) => r["route-table"]), [302, 300, 301]);
  });
});
