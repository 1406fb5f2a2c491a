/**
 * The behaviour every HostBackend must show, checked only through the public
 * path — `applyState`/`restore` and `backend.read()` — so that the kernel
 * backend and the in-memory one are held to the same account (hono's
 * `router/common.case.test.ts` pattern). Run it with a factory:
 *
 *   describeBackendContract("memory", async () => ({ backend, cleanup }));
 *
 * Each test gets a fresh backend from the factory, with a state directory of
 * its own (`backend.stateDir`) that `cleanup` deletes. The interfaces the
 * tests create are veth pairs, bridges and MAC-VLANs, which every Linux
 * kernel nodenet runs on has. Changes are applied with a deadline far in the
 * future and no probes; every test ends by checking that the transaction
 * left no rollback watchdog running for its state directory.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, describe, test, type TestContext } from "node:test";
import { NodenetError } from "../errors.ts";
import { normaliseDns } from "../state/diff.ts";
import { routeSatisfiedBy } from "../state/merge/index.ts";
import { normaliseIp } from "../state/normalise.ts";
import type { Interface } from "../state/schema/interface.ts";
import type { Route } from "../state/schema/routes.ts";
import type { NetworkState } from "../state/schema/state.ts";
import { applyState, restore, type ApplyOptions } from "./transaction.ts";
import type { HostBackend, HostSnapshot } from "../host/backend.ts";

export interface BackendUnderTest {
  backend: HostBackend;
  /** Removes everything the backend made (namespace, state directory). */
  cleanup(): Promise<void>;
}

/**
 * Makes a fresh backend whose host holds `initial` (the kernel factory
 * applies it; the memory one starts from it). The contract's own tests start
 * empty and build what they need through `applyState`.
 */
export type MakeBackend = (initial?: NetworkState) => Promise<BackendUnderTest>;

/** A deadline no test reaches, and no probes: the contract is about the host, not connectivity. */
const APPLY: ApplyOptions = { timeoutSeconds: 3600 };

const V4 = { ip: "192.0.2.1", "prefix-length": 24 };
const V6 = { ip: "2001:db8:1::1", "prefix-length": 64 };
const ROUTE_V4: Route = { destination: "198.51.100.0/24", "next-hop-address": "192.0.2.254", "next-hop-interface": "cbr0" };
const ROUTE_V6: Route = { destination: "2001:db8:2::/64", "next-hop-address": "2001:db8:1::fe", "next-hop-interface": "cbr0" };

/** A bridge over one end of a veth pair the state itself creates, with both address families and a route each. */
const BRIDGE: NetworkState = {
  interfaces: [
    { name: "cv0", type: "veth", veth: { peer: "cv1" } },
    {
      name: "cbr0",
      type: "linux-bridge",
      bridge: { options: { stp: { enabled: false } }, port: [{ name: "cv0" }] },
      ipv4: { enabled: true, address: [V4] },
      ipv6: { enabled: true, address: [V6] },
    },
  ],
  routes: { config: [ROUTE_V4, ROUTE_V6] },
};

const withRoutes = (routes: Route[]): NetworkState => ({ ...BRIDGE, routes: { config: routes } });

function iface(snapshot: HostSnapshot, name: string): Interface | undefined {
  return snapshot.state.interfaces?.find((i) => i.name === name);
}

function mustHave(snapshot: HostSnapshot, name: string): Interface {
  const found = iface(snapshot, name);
  assert.ok(found, `${name} is missing; the host has ${(snapshot.state.interfaces ?? []).map((i) => i.name).join(", ")}`);
  return found;
}

/** Static addresses as `ip/prefix` (dynamic ones are left out, as merge and plan see them). */
function addresses(snapshot: HostSnapshot, name: string, family: "ipv4" | "ipv6"): string[] {
  const ip = normaliseIp(mustHave(snapshot, name)[family]);
  return (ip.address ?? []).map((a) => `${a.ip}/${a["prefix-length"]}`).filter((key) => !snapshot.dynamic.has(`${name}/${key}`));
}

const configuredVia = (snapshot: HostSnapshot, dev: string) => (snapshot.state.routes?.config ?? []).filter((r) => r["next-hop-interface"] === dev);
const runningVia = (snapshot: HostSnapshot, dev: string) => (snapshot.state.routes?.running ?? []).filter((r) => r["next-hop-interface"] === dev);

/** Asserts that `have` holds exactly the routes `want` describes, one for one. */
function assertRoutes(have: readonly Route[], want: readonly Route[], message: string): void {
  const unmatched = [...have];
  for (const route of want) {
    const index = unmatched.findIndex((h) => routeSatisfiedBy(route, h));
    assert.ok(index >= 0, `${message}: ${JSON.stringify(route)} missing from ${JSON.stringify(have)}`);
    unmatched.splice(index, 1);
  }
  assert.deepEqual(unmatched, [], `${message}: unexpected routes`);
}

/** A snapshot as a plain value, for deep equality. */
const plain = (s: HostSnapshot) => ({ state: s.state, dynamic: [...s.dynamic].sort() });

function watchdogsOf(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      const at = args.indexOf("--state-dir");
      if (args.includes("internal-watchdog") && at >= 0 && args[at + 1] === stateDir) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Waits a little for stopped watchdogs to exit, then fails on any still running. */
async function assertNoWatchdog(stateDir: string): Promise<void> {
  for (let i = 0; i < 40 && watchdogsOf(stateDir).length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(watchdogsOf(stateDir), [], `rollback watchdog(s) left running for ${stateDir}`);
}

export function describeBackendContract(name: string, makeBackend: MakeBackend): void {
  describe(`HostBackend contract: ${name}`, () => {
    const stateDirs: string[] = [];

    /** A fresh backend for one test, cleaned up after it (also when it fails). */
    async function fresh(t: TestContext): Promise<HostBackend> {
      const { backend, cleanup } = await makeBackend();
      stateDirs.push(backend.stateDir);
      t.after(cleanup);
      return backend;
    }

    async function apply(backend: HostBackend, desired: NetworkState) {
      return applyState(backend, desired, APPLY);
    }

    after(async () => {
      for (const dir of stateDirs) await assertNoWatchdog(dir);
    });

    test("creates a bridge over a new veth pair, with IPv4 and IPv6 addresses and routes, and reads it back", async (t) => {
      const backend = await fresh(t);
      const result = await apply(backend, BRIDGE);
      assert.equal(result.changed, true);
      const s = await backend.read();

      const bridge = mustHave(s, "cbr0");
      assert.equal(bridge.type, "linux-bridge");
      assert.equal(bridge.state, "up");
      assert.deepEqual(bridge.bridge?.port?.map((p) => p.name), ["cv0"]);
      assert.equal(bridge.bridge?.options?.stp?.enabled, false);
      assert.deepEqual(addresses(s, "cbr0", "ipv4"), ["192.0.2.1/24"]);
      assert.deepEqual(addresses(s, "cbr0", "ipv6"), ["2001:db8:1::1/64"]);

      const port = mustHave(s, "cv0");
      assert.equal(port.type, "veth");
      assert.equal(port.state, "up");
      assert.equal(port.controller, "cbr0");
      assert.equal(port.veth?.peer, "cv1");
      assert.equal(normaliseIp(port.ipv4).enabled, false, "a bridge port carries no IPv4 of its own");
      assert.deepEqual(port.ipv4?.address ?? [], []);
      assert.equal(normaliseIp(port.ipv6).enabled, false, "a bridge port carries no IPv6 of its own");
      assert.deepEqual(port.ipv6?.address ?? [], []);

      const peer = mustHave(s, "cv1");
      assert.equal(peer.type, "veth");
      assert.equal(peer.state, "up");
      assert.equal(peer.veth?.peer, "cv0");
      assert.equal(peer.controller, undefined);

      assertRoutes(configuredVia(s, "cbr0"), [ROUTE_V4, ROUTE_V6], "routes.config");
      for (const route of [ROUTE_V4, ROUTE_V6]) {
        assert.ok(runningVia(s, "cbr0").some((r) => routeSatisfiedBy(route, r)), `${route.destination} is not in routes.running`);
      }
      await assertNoWatchdog(backend.stateDir);
    });

    test("applying the same state again changes nothing and plans no operations", async (t) => {
      const backend = await fresh(t);
      await apply(backend, BRIDGE);
      const before = await backend.read();
      const again = await apply(backend, BRIDGE);
      assert.deepEqual(again.operations, [], "a second apply planned operations");
      assert.equal(again.changed, false);
      assert.deepEqual(plain(await backend.read()), plain(before));
      await assertNoWatchdog(backend.stateDir);
    });

    test("state: absent removes an interface and what depends on it", async (t) => {
      const backend = await fresh(t);
      await apply(backend, {
        ...BRIDGE,
        interfaces: [...BRIDGE.interfaces!, { name: "cmv0", type: "mac-vlan", "mac-vlan": { "base-iface": "cbr0", mode: "vepa" } }],
      });
      assert.ok(iface(await backend.read(), "cmv0"), "the MAC-VLAN on the bridge was not created");

      await apply(backend, { interfaces: [{ name: "cbr0", state: "absent" }] });
      let s = await backend.read();
      assert.equal(iface(s, "cbr0"), undefined, "the bridge is still there");
      assert.equal(iface(s, "cmv0"), undefined, "the MAC-VLAN built on the bridge survived it");
      assert.equal(mustHave(s, "cv0").controller, undefined, "the former port still names the bridge");
      assert.ok(iface(s, "cv1"));
      assert.deepEqual(configuredVia(s, "cbr0"), [], "routes through the bridge survived it");
      assert.deepEqual(runningVia(s, "cbr0"), []);

      // Either end of a veth pair takes the other with it.
      await apply(backend, { interfaces: [{ name: "cv0", state: "absent" }] });
      s = await backend.read();
      assert.equal(iface(s, "cv0"), undefined);
      assert.equal(iface(s, "cv1"), undefined, "the veth peer survived");
      await assertNoWatchdog(backend.stateDir);
    });

    test("a failure in the middle of a plan leaves the host exactly as before", async (t) => {
      const backend = await fresh(t);
      await apply(backend, BRIDGE);
      const before = await backend.read();
      // The plan removes a route, creates a veth pair, then a MAC-VLAN on a
      // bridge port, which the kernel refuses (the bridge owns the port's
      // receive hook: "Device or resource busy"). The route removal and the
      // pair have happened by then and must be undone.
      const failing: NetworkState = {
        interfaces: [
          { name: "caa0", type: "veth", veth: { peer: "caa1" } },
          { name: "cmv0", type: "mac-vlan", "mac-vlan": { "base-iface": "cv0", mode: "vepa" } },
        ],
        routes: { config: [{ destination: ROUTE_V4.destination!, state: "absent" }] },
      };
      const error = await apply(backend, failing).then(
        () => assert.fail("the apply succeeded"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof NodenetError, String(error));
      assert.equal(error.kind, "backend-failed", error.message);
      assert.equal(error.restored, true, error.message);
      assert.match(error.message, /operation 3\/\d+ failed/);
      assert.deepEqual(plain(await backend.read()), plain(before));
      await assertNoWatchdog(backend.stateDir);
    });

    test("routes with state: absent remove exactly the configured routes they match", async (t) => {
      const backend = await fresh(t);
      const r1: Route = { ...ROUTE_V4, metric: 100 };
      const r2: Route = { ...ROUTE_V4, "next-hop-address": "192.0.2.253", metric: 200 };
      const r3: Route = { destination: "203.0.113.0/24", "next-hop-address": "192.0.2.254", "next-hop-interface": "cbr0", metric: 100 };
      const r4: Route = { ...r3, "table-id": 100 };
      await apply(backend, withRoutes([r1, r2, r3, r4, ROUTE_V6]));
      assertRoutes(configuredVia(await backend.read(), "cbr0"), [r1, r2, r3, r4, ROUTE_V6], "after adding");

      await apply(backend, { routes: { config: [{ destination: "198.51.100.0/24", state: "absent" }] } });
      assertRoutes(configuredVia(await backend.read(), "cbr0"), [r3, r4, ROUTE_V6], "after removing by destination");

      await apply(backend, { routes: { config: [{ "next-hop-address": "192.0.2.254", "table-id": 100, state: "absent" }] } });
      assertRoutes(configuredVia(await backend.read(), "cbr0"), [r3, ROUTE_V6], "after removing by gateway and table");

      const none = await apply(backend, { routes: { config: [{ destination: "198.51.100.0/24", state: "absent" }] } });
      assert.equal(none.changed, false, "an absent route that matches nothing changed something");

      await apply(backend, { routes: { config: [{ "next-hop-interface": "cbr0", state: "absent" }] } });
      const s = await backend.read();
      assert.deepEqual(configuredVia(s, "cbr0"), [], "after removing by interface");
      assert.deepEqual(addresses(s, "cbr0", "ipv4"), ["192.0.2.1/24"], "removing routes touched the addresses");
      await assertNoWatchdog(backend.stateDir);
    });

    test("the DNS configuration is replaced whole, and cleared with config: {}", async (t) => {
      const backend = await fresh(t);
      const config = async () => normaliseDns((await backend.read()).state["dns-resolver"]?.config ?? {});

      await apply(backend, { "dns-resolver": { config: { server: ["192.0.2.53", "2001:db8::53"], search: ["example.test"] } } });
      assert.deepEqual(await config(), { server: ["192.0.2.53", "2001:db8::53"], search: ["example.test"], options: [] });

      await apply(backend, { "dns-resolver": { config: { server: ["198.51.100.53"] } } });
      assert.deepEqual(await config(), { server: ["198.51.100.53"], search: [], options: [] }, "the old search list survived a replacement");
      const same = await apply(backend, { "dns-resolver": { config: { server: ["198.51.100.53"] } } });
      assert.equal(same.changed, false);

      await apply(backend, { "dns-resolver": { config: {} } });
      assert.deepEqual(await config(), { server: [], search: [], options: [] });
      const cleared = await apply(backend, { "dns-resolver": { config: {} } });
      assert.equal(cleared.changed, false);
      await assertNoWatchdog(backend.stateDir);
    });

    test("restore() of a committed change's revert state puts the host back as it was", async (t) => {
      const backend = await fresh(t);
      const before = await backend.read();
      const result = await apply(backend, BRIDGE);
      assert.ok(result.revert, "a change that did something records its revert state");
      await restore(backend, result.revert);
      assert.deepEqual(plain(await backend.read()), plain(before));
      await assertNoWatchdog(backend.stateDir);
    });
  });
}
