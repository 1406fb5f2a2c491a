/** The memory backend held to the backend contract, and with the transaction on top. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { NodenetError } from "../errors.ts";
import type { NetworkState } from "../state/schema/state.ts";
import { applyState } from "./transaction.ts";
import { staticView } from "../host/backend.ts";
import { describeBackendContract } from "./backend.contract.ts";
import { MemoryBackend, type MemoryBackendOptions } from "../host/memory/backend.ts";

const stateDir = () => mkdtempSync(join(tmpdir(), "nodenet-memory-"));

describeBackendContract("memory", async (initial) => {
  const dir = stateDir();
  return { backend: new MemoryBackend(initial ?? {}, { stateDir: dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

function memory(t: TestContext, initial: NetworkState = {}, options: Omit<MemoryBackendOptions, "stateDir"> = {}): MemoryBackend {
  const dir = stateDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new MemoryBackend(initial, { stateDir: dir, ...options });
}

const APPLY = { timeoutSeconds: 3600 };

const NIC = (name: string, extra: object = {}) => ({ name, type: "ethernet" as const, state: "up" as const, ...extra });

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e as Error,
  );
}


describe("MemoryBackend: with the transaction", () => {
  const BR: NetworkState = {
    interfaces: [
      {
        name: "br0",
        type: "linux-bridge",
        bridge: { port: [{ name: "eth1" }] },
        ipv4: { enabled: true, address: [{ ip: "192.0.2.2", "prefix-length": 24 }] },
      },
    ],
    routes: { config: [{ destination: "198.51.100.0/24", "next-hop-address": "192.0.2.1", "next-hop-interface": "br0" }] },
    "dns-resolver": { config: { server: ["192.0.2.53"] } },
  };
  const HOST: NetworkState = {
    interfaces: [NIC("eth1", { ipv4: { enabled: true, address: [{ ip: "192.0.2.2", "prefix-length": 24 }] } }), NIC("eth2")],
    routes: { config: [{ destination: "0.0.0.0/0", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth1" }] },
  };

  test("an injected failure late in the plan is rolled back to a host deep-equal to before", async (t) => {
    const backend = memory(t, HOST);
    const before = await backend.read();
    backend.failAt = (op) => (op.op === "dns" ? "injected: resolver not writable" : undefined);
    const error = await failure(applyState(backend, BR, APPLY));
    assert.ok(error instanceof NodenetError);
    assert.equal(error.kind, "backend-failed");
    assert.equal(error.restored, true);
    assert.match(error.message, /injected: resolver not writable/);
    assert.ok(backend.writes > 0, "nothing ran before the failure");
    assert.deepEqual((await backend.read()).state, before.state);
  });

  test("a state the host already has makes no writes", async (t) => {
    const backend = memory(t, HOST);
    await applyState(backend, BR, APPLY);
    const writes = backend.writes;
    const result = await applyState(backend, BR, APPLY);
    assert.equal(result.changed, false);
    assert.equal(backend.writes, writes);
  });

  test("dhcp: true takes the simulated lease: a dynamic address, a default route, DNS, and it verifies", async (t) => {
    const backend = memory(t, { interfaces: [NIC("eth1")] }, { leases: { eth1: { ip: "192.0.2.50", prefix: 24, gateway: "192.0.2.1", dns: ["192.0.2.53"] } } });
    await applyState(backend, { interfaces: [{ name: "eth1", ipv4: { enabled: true, dhcp: true } }] }, APPLY);
    const s = await backend.read();
    const eth1 = s.state.interfaces?.find((i) => i.name === "eth1");
    assert.equal(eth1?.ipv4?.dhcp, true);
    assert.deepEqual(eth1?.ipv4?.address, [{ ip: "192.0.2.50", "prefix-length": 24 }]);
    assert.deepEqual([...s.dynamic], ["eth1/192.0.2.50/24"]);
    assert.deepEqual(staticView(s).interfaces?.find((i) => i.name === "eth1")?.ipv4?.address, []);
    assert.deepEqual(s.state.routes?.running, [{ destination: "0.0.0.0/0", "next-hop-interface": "eth1", "next-hop-address": "192.0.2.1", metric: 100, "table-id": 254 }]);
    assert.deepEqual(s.state.routes?.config, [], "a DHCP route is not a configured one");
    assert.deepEqual(s.state["dns-resolver"]?.running?.server, ["192.0.2.53"]);
    assert.equal((await applyState(backend, { interfaces: [{ name: "eth1", ipv4: { enabled: true, dhcp: true } }] }, APPLY)).changed, false);

    await applyState(backend, { interfaces: [{ name: "eth1", ipv4: { enabled: false } }] }, APPLY);
    const off = await backend.read();
    assert.deepEqual(off.state.interfaces?.find((i) => i.name === "eth1")?.ipv4, { enabled: false });
    assert.deepEqual(off.state.routes?.running, []);
    assert.equal(off.dynamic.size, 0);
  });

  test("dhcp: true without a lease fails and is rolled back", async (t) => {
    const backend = memory(t, { interfaces: [NIC("eth1", { ipv4: { enabled: true, address: [{ ip: "192.0.2.2", "prefix-length": 24 }] } })] });
    const before = await backend.read();
    const error = await failure(applyState(backend, { interfaces: [{ name: "eth1", ipv4: { enabled: true, dhcp: true, address: [] } }] }, APPLY));
    assert.ok(error instanceof NodenetError);
    assert.match(error.message, /no DHCPv4 lease on eth1/);
    assert.deepEqual((await backend.read()).state, before.state);
  });
});
