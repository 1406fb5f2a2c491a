/**
 * nmstate's net_policy.rs test_policy_move_static_gw_eth_to_bridge (read in
 * place from the extended corpus) has a capture without an operator (`void:
 * this capture will just clone current …`). Against the current state of that
 * test it renders a bridge over eth1 with eth1's address and its routes moved
 * to br1, as nmstate's assertions say.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { renderPolicy } from "./index.ts";
import { CONFORMANCE } from "../../../test/helpers/conformance.ts";

const POLICY = join(CONFORMANCE, "extended/nmstate/nmstate__rust__src__lib__unit_tests__policy__net_policy.rs__test_policy_move_static_gw_eth_to_bridge__L68__policy.yml");

/** The current state of that upstream test. */
const CURRENT = {
  interfaces: [
    { name: "eth1", type: "ethernet", state: "up", "mac-address": "11:22:33:44:55:66", ipv4: { address: [{ ip: "192.0.2.251", "prefix-length": 24 }], dhcp: false, enabled: true } },
  ],
  routes: {
    running: [
      { destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth1" },
      { destination: "192.51.100.0/24", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth1" },
    ],
  },
};

test("a capture without an operator is accepted and the policy renders as in nmstate's test", () => {
  const policy = parse(readFileSync(POLICY, "utf8")) as { capture: Record<string, string>; desiredState: unknown };
  const rendered = renderPolicy(policy, CURRENT);
  const state = rendered.desiredState as { interfaces: { name: string; bridge: { port: { name: string }[] }; ipv4: { enabled: boolean; address: unknown[] } }[]; routes: { config: { "next-hop-interface": string }[] } };
  assert.deepEqual(rendered.captured.void, {});
  assert.equal(state.interfaces.length, 1);
  assert.equal(state.interfaces[0]!.name, "br1");
  assert.deepEqual(state.interfaces[0]!.bridge.port.map((p) => p.name), ["eth1"]);
  assert.equal(state.interfaces[0]!.ipv4.enabled, true);
  assert.deepEqual(state.interfaces[0]!.ipv4.address, [{ ip: "192.0.2.251", "prefix-length": 24 }]);
  assert.deepEqual(state.routes.config.map((r) => r["next-hop-interface"]), ["br1", "br1"]);
});
