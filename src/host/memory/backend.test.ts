import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import type { Operation } from "../../state/plan/operations.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { ExecuteError } from "../backend.ts";
import { MemoryBackend, type MemoryBackendOptions } from "./backend.ts";

const stateDir = () => mkdtempSync(join(tmpdir(), "nodenet-memory-"));

function memory(t: TestContext, initial: NetworkState = {}, options: Omit<MemoryBackendOptions, "stateDir"> = {}): MemoryBackend {
  const dir = stateDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new MemoryBackend(initial, { stateDir: dir, ...options });
}


const NIC = (name: string, extra: object = {}) => ({ name, type: "ethernet" as const, state: "up" as const, ...extra });

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e as Error,
  );
}

const ifaceOf = async (backend: MemoryBackend, name: string) => (await backend.read()).state.interfaces?.find((i) => i.name === name);
const names = async (backend: MemoryBackend) => (await backend.read()).state.interfaces?.map((i) => i.name);

describe("MemoryBackend: execute", () => {
  test("an injected failure stops execution there with an ExecuteError naming the operation; earlier ones stay", async (t) => {
    const backend = memory(t, {}, { failAt: (op) => (op.op === "link-add" && op.name === "d2" ? "injected" : undefined) });
    const ops: Operation[] = [
      { op: "link-add", name: "d1", create: { kind: "dummy" } },
      { op: "link-add", name: "d2", create: { kind: "dummy" } },
      { op: "link-add", name: "d3", create: { kind: "dummy" } },
    ];
    const error = await failure(backend.execute(ops));
    assert.ok(error instanceof ExecuteError);
    assert.equal(error.index, 1);
    assert.deepEqual(error.operation, ops[1]);
    assert.equal(error.message, "ip link add d2 type dummy: injected");
    assert.deepEqual(await names(backend), ["d1"]);
    assert.equal(backend.writes, 1);
  });

  test("kernel refusals: File exists, Cannot find device, enslaving an up port to a bond", async (t) => {
    const backend = memory(t, { interfaces: [NIC("eth1"), { name: "bond0", type: "bond", state: "up", "link-aggregation": { mode: "active-backup" } }] });
    const messageOf = async (op: Operation) => (await failure(backend.execute([op]))).message;
    assert.match(await messageOf({ op: "link-add", name: "bond0", create: { kind: "linux-bridge" } }), /RTNETLINK answers: File exists$/);
    assert.match(await messageOf({ op: "link-state", name: "nope", up: true }), /Cannot find device "nope"$/);
    assert.match(await messageOf({ op: "link-controller", name: "eth1", controller: "bond0" }), /Device can not be enslaved while up/);
    await backend.execute([
      { op: "link-state", name: "eth1", up: false },
      { op: "link-controller", name: "eth1", controller: "bond0" },
    ]);
    const eth1 = await ifaceOf(backend, "eth1");
    assert.equal(eth1?.controller, "bond0");
    assert.equal(eth1?.state, "up", "the bonding driver opens its ports");
    assert.deepEqual((await ifaceOf(backend, "bond0"))?.["link-aggregation"]?.port, ["eth1"]);
  });

  test("a veth pair is created and deleted as one; deleting a base deletes what is built on it", async (t) => {
    const backend = memory(t);
    await backend.execute([
      { op: "link-add", name: "va", create: { kind: "veth", peer: "vb" } },
      { op: "link-add", name: "va.10", create: { kind: "vlan", base: "va", id: 10 } },
      { op: "link-add", name: "mv0", create: { kind: "mac-vlan", base: "va.10", mode: "bridge" } },
      { op: "link-add", name: "br0", create: { kind: "linux-bridge" } },
      { op: "link-controller", name: "vb", controller: "br0" },
    ]);
    assert.deepEqual(await names(backend), ["br0", "mv0", "va", "va.10", "vb"]);
    assert.equal((await ifaceOf(backend, "vb"))?.veth?.peer, "va");
    await backend.execute([{ op: "link-del", name: "vb" }]);
    assert.deepEqual(await names(backend), ["br0"]);
    assert.deepEqual((await ifaceOf(backend, "br0"))?.bridge?.port, []);
  });

  test("a link going down loses its routes and its IPv6 addresses; the last IPv4 address takes the IPv4 routes", async (t) => {
    const backend = memory(t, {
      interfaces: [NIC("eth1", { ipv4: { enabled: true, address: [{ ip: "192.0.2.2", "prefix-length": 24 }, { ip: "198.51.100.2", "prefix-length": 24 }] }, ipv6: { enabled: true, address: [{ ip: "2001:db8::2", "prefix-length": 64 }] } })],
      routes: {
        config: [
          { destination: "10.1.0.0/16", "next-hop-address": "198.51.100.1", "next-hop-interface": "eth1" },
          { destination: "10.2.0.0/16", "next-hop-address": "192.0.2.1", "next-hop-interface": "eth1" },
          { destination: "2001:db8:1::/48", "next-hop-address": "2001:db8::1", "next-hop-interface": "eth1" },
        ],
      },
    });
    const routes = async () => (await backend.read()).state.routes?.config?.map((r) => r.destination);
    // As Linux does: a gateway route outlives its subnet while another IPv4 address remains.
    await backend.execute([{ op: "addr-del", name: "eth1", ip: "198.51.100.2", prefix: 24 }]);
    assert.deepEqual(await routes(), ["10.1.0.0/16", "10.2.0.0/16", "2001:db8:1::/48"]);
    await backend.execute([{ op: "addr-del", name: "eth1", ip: "192.0.2.2", prefix: 24 }]);
    assert.deepEqual(await routes(), ["2001:db8:1::/48"]);
    await backend.execute([{ op: "link-state", name: "eth1", up: false }]);
    assert.deepEqual(await routes(), []);
    assert.deepEqual((await ifaceOf(backend, "eth1"))?.ipv6, { enabled: false, "accept-ra": 1 });
  });

  test("removing a primary IPv4 address removes its secondaries (promote_secondaries = 0)", async (t) => {
    const backend = memory(t, { interfaces: [NIC("eth1")] });
    await backend.execute([
      { op: "addr-add", name: "eth1", ip: "192.0.2.5", prefix: 24 },
      { op: "addr-add", name: "eth1", ip: "192.0.2.6", prefix: 24 },
      { op: "addr-add", name: "eth1", ip: "198.51.100.1", prefix: 24 },
      { op: "addr-del", name: "eth1", ip: "192.0.2.5", prefix: 24 },
    ]);
    assert.deepEqual((await ifaceOf(backend, "eth1"))?.ipv4?.address, [{ ip: "198.51.100.1", "prefix-length": 24 }]);
  });

  test("routes need an up device and a reachable gateway", async (t) => {
    const backend = memory(t, { interfaces: [NIC("eth1", { ipv4: { enabled: true, address: [{ ip: "192.0.2.2", "prefix-length": 24 }] } }), NIC("eth2", { state: "down" })] });
    const messageOf = async (route: object) => (await failure(backend.execute([{ op: "route-add", route }]))).message;
    assert.match(await messageOf({ destination: "10.0.0.0/8", "next-hop-address": "203.0.113.1", "next-hop-interface": "eth1" }), /Nexthop has invalid gateway/);
    assert.match(await messageOf({ destination: "10.0.0.0/8", "next-hop-interface": "eth2" }), /Device for nexthop is not up/);
    await backend.execute([{ op: "route-add", route: { destination: "10.0.0.0/8", "next-hop-address": "192.0.2.1" } }]);
    assert.deepEqual((await backend.read()).state.routes?.config, [{ destination: "10.0.0.0/8", "next-hop-interface": "eth1", "next-hop-address": "192.0.2.1", metric: 0, "table-id": 254 }]);
  });
});
