import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatIssue } from "../issues.ts";
import { allocatable, describeCapacity, lowestFree, parsePool, parsePools } from "./pool.ts";

const pool = (spec: Parameters<typeof parsePool>[1]) => {
  const parsed = parsePool("storage", spec);
  if (!parsed.ok) throw new Error(parsed.issues.map(formatIssue).join("; "));
  return parsed.pool;
};

describe("address pools", () => {
  test("a /29 has 6 hosts; its gateway takes one, so 5 are left for nodes", () => {
    const p = pool({ cidr: "198.51.100.0/29", gateway: "198.51.100.1" });
    assert.equal(p.capacity, 5n);
    const taken = new Set<string>();
    for (let i = 0; i < 5; i++) taken.add(lowestFree(p, taken)!);
    assert.deepEqual([...taken], ["198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6"]);
    assert.equal(lowestFree(p, taken), undefined, "exhausted: neither the broadcast .7 nor the network .0 is handed out");
    assert.match(describeCapacity(p), /^5 addresses for nodes in 198\.51\.100\.0\/29 \(without the network and broadcast addresses, the gateway 198\.51\.100\.1\)$/);
  });

  test("exclusions (addresses and CIDRs, overlapping, partly outside) are skipped and counted once", () => {
    const p = pool({ cidr: "192.0.2.0/24", gateway: "192.0.2.1", exclude: ["192.0.2.2", "192.0.2.0/29", "192.0.2.4/30", "192.0.2.254"] });
    assert.equal(p.capacity, 254n - 7n - 1n);
    assert.equal(lowestFree(p, new Set()), "192.0.2.8");
    assert.equal(lowestFree(p, new Set(["192.0.2.8", "192.0.2.9"])), "192.0.2.10");
    assert.equal(allocatable(p, "192.0.2.5"), false);
    assert.equal(allocatable(p, "192.0.2.254"), false);
    assert.equal(allocatable(p, "192.0.2.253"), true);
    assert.equal(allocatable(p, "192.0.2.255"), false);
    assert.equal(allocatable(p, "198.51.100.9"), false);
  });

  test("/31 and /32 use every address; IPv6 skips only the subnet-router address", () => {
    assert.equal(pool({ cidr: "203.0.113.0/31" }).capacity, 2n);
    assert.equal(pool({ cidr: "203.0.113.7/32" }).capacity, 1n);
    const v6 = pool({ cidr: "2001:db8:5::/64", gateway: "2001:db8:5::1" });
    assert.equal(v6.capacity, (1n << 64n) - 2n);
    assert.equal(lowestFree(v6, new Set(["2001:db8:5::2"])), "2001:db8:5::3");
    assert.equal(allocatable(v6, "2001:db8:5::"), false);
  });

  test("bad pools are refused naming the field", () => {
    const issues = (spec: Parameters<typeof parsePool>[1]) => parsePool("storage", spec).issues.map(formatIssue);
    assert.deepEqual(issues({ cidr: "198.51.100.5/29" }), ["error: cidr: 198.51.100.5/29 has host bits set (the network is 198.51.100.0/29)"]);
    assert.match(issues({ cidr: "198.51.100.0" })[0]!, /^error: cidr: "198\.51\.100\.0" is not a CIDR/);
    assert.match(issues({ cidr: "198.51.100.0/29", gateway: "198.51.100.9" })[0]!, /^error: gateway: gateway 198\.51\.100\.9 is outside the pool 198\.51\.100\.0\/29/);
    assert.match(issues({ cidr: "198.51.100.0/29", exclude: ["2001:db8::1"] })[0]!, /^error: exclude\[0\]: "2001:db8::1" is not an IPv4 address or CIDR/);
    assert.match(issues({ cidr: "198.51.100.0/29", exclude: ["203.0.113.1"] })[0]!, /^warning: exclude\[0\]: 203\.0\.113\.1 is outside the pool/);
    assert.match(issues({ cidr: "198.51.100.0/30", gateway: "198.51.100.1", exclude: ["198.51.100.2"] })[0]!, /^error: cidr: the pool 198\.51\.100\.0\/30 has no address left for nodes/);
    const set = parsePools({ a: { cidr: "198.51.100.0/29" }, b: { cidr: "x" } });
    assert.deepEqual([...set.pools.keys()], ["a"]);
    assert.deepEqual(set.issues.map((i) => i.path), [["b", "cidr"]]);
  });
});
