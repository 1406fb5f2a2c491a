import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeRoutes, mergeRules, routeMatchesAbsent } from "./routes.ts";

test("an empty string in an absent rule matches only rules without that field (nmstate's no value)", () => {
  const absent = [{ "ip-from": "", "route-table": 200, state: "absent" as const }];
  const withFrom = { "ip-from": "192.168.2.0/24", priority: 30000, "route-table": 200, family: "ipv4" as const };
  const without = { priority: 30000, "route-table": 200, family: "ipv4" as const };
  const merged = mergeRules(absent, [withFrom, without]);
  assert.deepEqual(merged.remove, [without]);
  assert.deepEqual(merged.merged, [withFrom]);
});

test("an empty next-hop-address in an absent route matches only routes without a gateway", () => {
  const absent = { "next-hop-address": "", state: "absent" as const };
  const viaGateway = { destination: "198.51.100.0/24", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth1" };
  const direct = { destination: "198.51.100.0/24", "next-hop-interface": "eth1" };
  assert.equal(routeMatchesAbsent(absent, viaGateway), false);
  assert.equal(routeMatchesAbsent(absent, direct), true);
  assert.deepEqual(mergeRoutes([absent], [viaGateway, direct]).remove, [direct]);
});
