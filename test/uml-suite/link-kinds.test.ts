/**
 * Link kinds the host kernel lacks, on UML's full kernel (this file runs
 * inside the guest; test/kernel/link-kinds.test.ts covers the refusal on a
 * kernel without them): created as declared, read back in nmstate's form,
 * carrying traffic, idempotent, and removed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyState } from "../../src/txn/transaction.ts";
import { probes, state, twoNicHost } from "../helpers/uml-host.ts";

assert.equal(process.env.NODENET_UML, "1", "this suite runs inside User-Mode Linux: npm test runs it there (test/uml/suite.ts)");

describe("ipvlan (full kernel)", () => {
  test("two private l2 ipvlans on eth1 are created, read back, reach the gateway, re-apply as no-ops and are removed", async (t) => {
    const { host, backend } = await twoNicHost(t, "ipvlan");
    const before = (await backend.read()).state;
    const desired = state(`
interfaces:
- {name: iv0, type: ipvlan, state: up, ipvlan: {base-iface: eth1, mode: l2, private: true}, ipv4: {enabled: true, address: [{ip: 192.0.2.20, prefix-length: 24}]}}
- {name: iv1, type: ipvlan, state: up, ipvlan: {base-iface: eth1, mode: l2, private: true}}
`);
    await applyState(backend, desired, { probes: probes() });
    const shown = (await backend.read()).state.interfaces!;
    const iv0 = shown.find((i) => i.name === "iv0")!;
    const iv1 = shown.find((i) => i.name === "iv1")!;
    assert.equal(iv0.type, "ipvlan");
    for (const iv of [iv0, iv1]) assert.deepEqual(iv.ipvlan, { "base-iface": "eth1", mode: "l2", private: true, vepa: false }, iv.name);
    assert.equal(iv0["mac-address"], shown.find((i) => i.name === "eth1")!["mac-address"], "an ipvlan shares its base's MAC address");
    assert.match((await host.exec("ping", ["-c", "2", "-W", "2", "-I", "iv0", "192.0.2.1"])).stdout, /2 received/);
    assert.equal((await applyState(backend, desired, { probes: probes() })).operations.length, 0, "re-applying plans nothing");

    await applyState(backend, state("interfaces:\n- {name: iv0, state: absent}\n- {name: iv1, state: absent}\n"), { probes: probes() });
    assert.deepEqual((await backend.read()).state.interfaces!.map((i) => i.name), before.interfaces!.map((i) => i.name));
  });
});

describe("mac-vtap (full kernel)", () => {
  test("a passthru macvtap without promiscuous mode on eth1 is created, read back, re-applies as a no-op and is removed", async (t) => {
    const { backend } = await twoNicHost(t, "macvtap");
    const desired = state("interfaces:\n- {name: mt0, type: mac-vtap, state: up, mac-vtap: {base-iface: eth1, mode: passthru, promiscuous: false}}\n");
    await applyState(backend, desired, { probes: probes() });
    const mt0 = (await backend.read()).state.interfaces!.find((i) => i.name === "mt0")!;
    assert.equal(mt0.type, "mac-vtap");
    assert.deepEqual(mt0["mac-vtap"], { "base-iface": "eth1", mode: "passthru", promiscuous: false });
    assert.equal((await applyState(backend, desired, { probes: probes() })).operations.length, 0, "re-applying plans nothing");
    await applyState(backend, state("interfaces:\n- {name: mt0, state: absent}\n"), { probes: probes() });
    assert.equal((await backend.read()).state.interfaces!.find((i) => i.name === "mt0"), undefined);
  });
});
