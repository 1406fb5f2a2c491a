/**
 * Regression tests for what the generative test (test/generative/) found,
 * each the shrunk flow as an ordinary example: the same state applied to the
 * kernel and the memory backend must work and read back alike.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { toYaml } from "../../src/cli/io.ts";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { MemoryBackend } from "../../src/host/memory/backend.ts";
import { loadDesired } from "../../src/state/load.ts";
import { applyState } from "../../src/txn/transaction.ts";
import { TestNetns } from "../helpers/netns.ts";
import { failingOnce } from "../generative/fault.ts";
import { comparableShow } from "../generative/harness.ts";
import type { HostBackend } from "../../src/host/backend.ts";
import type { NetworkState } from "../../src/state/schema/state.ts";

/** A fresh namespace's kernel backend, and a memory backend that starts from what it reads. */
async function kernelAndMemory(t: TestContext, label: string) {
  const ns = await TestNetns.create(label, t);
  const dir = mkdtempSync(join(tmpdir(), `nodenet-${label}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kernel = new KernelBackend({ netns: ns.name, stateDir: join(dir, "kernel"), resolvConf: join(dir, "resolv.conf") });
  const memory = new MemoryBackend((await kernel.read()).state, { stateDir: join(dir, "memory") });
  return { ns, kernel, memory };
}

// fuzz --seed 5 (shrunk): IPv4 and IPv6 routes in tables 100 and 200.
const ROUTES_IN_TWO_TABLES = `
interfaces:
- {name: gva2, type: veth, state: up, veth: {peer: gvb2}, ipv4: {enabled: true, address: [{ip: 192.0.2.50, prefix-length: 28}]}, ipv6: {enabled: true, address: [{ip: "2001:db8:3::2", prefix-length: 64}]}}
routes:
  config:
  - {destination: "2001:db8:ff0::/64", metric: 50, table-id: 200, next-hop-interface: gva2, next-hop-address: "2001:db8:3::1"}
  - {destination: 198.51.100.16/28, metric: 50, table-id: 200, next-hop-interface: gva2, next-hop-address: 192.0.2.49}
  - {destination: "2001:db8:ff2::/64", metric: 100, table-id: 100, next-hop-interface: gva2, next-hop-address: "2001:db8:3::1"}
  - {destination: 198.51.100.128/25, metric: 100, table-id: 100, next-hop-interface: gva2, next-hop-address: 192.0.2.49}
  - {destination: 198.51.100.32/28, metric: 100, table-id: 100, next-hop-interface: gva2, next-hop-address: 192.0.2.49}
`;

test("the memory backend lists routes in the kernel reader's order: by table, then family, then destination as a number", async (t) => {
  const { kernel, memory } = await kernelAndMemory(t, "memroutes");
  const desired = loadDesired([{ file: "routes.yml", text: ROUTES_IN_TWO_TABLES }]).state!;
  await applyState(kernel, desired, { timeoutSeconds: 600 });
  await applyState(memory, desired, { timeoutSeconds: 600 });
  const routes = async (backend: KernelBackend | MemoryBackend) => toYaml((await backend.read()).state.routes);
  const kernelRoutes = await routes(kernel);
  assert.match(kernelRoutes, /198\.51\.100\.32\/28[\s\S]*198\.51\.100\.128\/25[\s\S]*2001:db8:ff2::\/64[\s\S]*198\.51\.100\.16\/28/, "the kernel reader's order");
  assert.equal(await routes(memory), kernelRoutes);
});

// fuzz --seed 20261202 (the CI seed), steps 2 and 3: all IPv4 addresses of a bridge dropped, two of them in one subnet.
test("dropping an IPv4 primary together with its secondary applies (secondary first), re-applies as a no-op, and the memory backend agrees", async (t) => {
  const { ns, kernel, memory } = await kernelAndMemory(t, "secondary");
  const two = loadDesired([{ file: "a.yml", text: "interfaces: [{name: br0, type: linux-bridge, state: up, bridge: {port: []}, ipv4: {enabled: true, address: [{ip: 192.0.2.67, prefix-length: 28}, {ip: 192.0.2.66, prefix-length: 28}]}}]" }]).state!;
  const none = loadDesired([{ file: "b.yml", text: "interfaces: [{name: br0, type: linux-bridge, state: up, ipv4: {enabled: false}}]" }]).state!;
  // .67 first, so it is the primary and .66, added later, its secondary — the reverse of their sorted order.
  const one = loadDesired([{ file: "c.yml", text: "interfaces: [{name: br0, type: linux-bridge, state: up, bridge: {port: []}, ipv4: {enabled: true, address: [{ip: 192.0.2.67, prefix-length: 28}]}}]" }]).state!;
  for (const backend of [kernel, memory]) {
    await applyState(backend, one, { timeoutSeconds: 600 });
    await applyState(backend, two, { timeoutSeconds: 600 });
    await applyState(backend, none, { timeoutSeconds: 600 });
    assert.equal((await applyState(backend, none, { timeoutSeconds: 600 })).operations.length, 0, `${backend.description}: the re-apply plans nothing`);
  }
  const addrs = await ns.ipJson<{ addr_info: { family: string }[] }[]>(["addr", "show", "br0"]);
  assert.deepEqual(addrs[0]!.addr_info.filter((a) => a.family === "inet"), [], "no IPv4 address left on br0");
  const v4 = async (backend: KernelBackend | MemoryBackend) => (await backend.read()).state.interfaces?.find((i) => i.name === "br0")?.ipv4?.address ?? [];
  assert.deepEqual(await v4(memory), await v4(kernel));
});

// fuzz --seed 20261202 (the CI seed), step 2, after the IPv6 fix: the memory backend ignored disable_ipv6 and failed verification.
test("ipv6 enabled: false on a link with IPv6 addresses: the memory backend drops them as the kernel does and both report IPv6 off", async (t) => {
  const { ns, kernel, memory } = await kernelAndMemory(t, "v6off");
  const link = (ipv6: string) => `interfaces: [{name: gva2, type: veth, state: up, veth: {peer: gvb2}, ipv4: {enabled: true, address: [{ip: 192.0.2.52, prefix-length: 28}]}, ipv6: ${ipv6}}]`;
  const on = loadDesired([{ file: "on.yml", text: link('{enabled: true, address: [{ip: "2001:db8:3::3", prefix-length: 64}]}') }]).state!;
  const off = loadDesired([{ file: "off.yml", text: link("{enabled: false}") }]).state!;
  for (const backend of [kernel, memory]) {
    await applyState(backend, on, { timeoutSeconds: 600 });
    await applyState(backend, off, { timeoutSeconds: 600 });
  }
  const v6 = async (backend: KernelBackend | MemoryBackend) => {
    const ipv6 = (await backend.read()).state.interfaces?.find((i) => i.name === "gva2")?.ipv6;
    return { enabled: ipv6?.enabled, address: ipv6?.address ?? [] };
  };
  assert.deepEqual(await v6(kernel), { enabled: false, address: [] });
  assert.deepEqual(await v6(memory), await v6(kernel));
  assert.equal((await ns.exec("cat", ["/proc/sys/net/ipv6/conf/gva2/disable_ipv6"])).stdout.trim(), "1");
});

// fuzz --seed 20261202 in UML, step 2: a vxlan over a veth with MTU 1400.
test("a vxlan made over an existing link takes its's MTU minus 50 on the kernel and in the memory backend", async (t) => {
  const { kernel, memory } = await kernelAndMemory(t, "vxmtu");
  const desired = loadDesired([{ file: "vx.yml", text: "interfaces: [{name: gva0, type: veth, state: up, mtu: 1400, veth: {peer: gvb0}}, {name: gvx0, type: vxlan, state: up, vxlan: {id: 101, base-iface: gva0, remote: 192.0.2.250, destination-port: 4789}}]" }]).state!;
  const veth = loadDesired([{ file: "veth.yml", text: "interfaces: [{name: gva0, type: veth, state: up, mtu: 1400, veth: {peer: gvb0}}]" }]).state!;
  for (const backend of [kernel, memory]) {
    await applyState(backend, veth, { timeoutSeconds: 600 });
    await applyState(backend, desired, { timeoutSeconds: 600 });
  }
  const mtu = async (backend: KernelBackend | MemoryBackend) => (await backend.read()).state.interfaces?.find((i) => i.name === "gvx0")?.mtu;
  assert.equal(await mtu(kernel), 1350);
  assert.equal(await mtu(memory), 1350);
});

// fuzz --seed 7 --steps 4 --runs 4, step 2: rules of one priority, listed by content instead of the kernel's order.
test("route rules of one priority: show lists them in the order the kernel tries them (insertion), and the memory backend agrees", async (t) => {
  const { ns, kernel, memory } = await kernelAndMemory(t, "memrules");
  const rule = (table: number) => `  - {priority: 3000, ip-from: 192.0.2.0/28, route-table: ${table}}`;
  const first = loadDesired([{ file: "rules.yml", text: `route-rules:\n  config:\n${rule(302)}\n${rule(300)}\n` }]).state!;
  const second = loadDesired([{ file: "more.yml", text: `route-rules:\n  config:\n${rule(301)}\n` }]).state!;
  for (const desired of [first, second]) {
    await applyState(kernel, desired, { timeoutSeconds: 600 });
    await applyState(memory, desired, { timeoutSeconds: 600 });
  }
  const listed = (await kernel.read()).state["route-rules"]?.config?.filter((r) => r.priority === 3000).map((r) => r["route-table"]);
  const kernelOrder = (await ns.ipJson<{ priority: number; table: string }[]>(["rule", "show"])).filter((r) => r.priority === 3000).map((r) => Number(r.table));
  assert.deepEqual(kernelOrder, [302, 300, 301], "the kernel keeps them in the order they were added");
  assert.deepEqual(listed, kernelOrder, "show lists them as the kernel does");
  assert.equal(toYaml((await memory.read()).state["route-rules"]), toYaml((await kernel.read()).state["route-rules"]));
});

// fuzz --seed 7 --steps 4 --runs 2 (shrunk): gva1 from [.35, .36] to [.38, .36] with a failure injected at the
// last operation rolled back to [.36, .35] — the subnet's addresses were added sorted, not in declared order,
// and a changed primary did not re-create its secondaries.
// nodenet neither reads nor sets promote_secondaries: the namespace inherits the host's (0 here, 1 where systemd's
// sysctl defaults apply), and the plan removes a subnet's secondaries before its primary so that either works.
async function addressOrderFlows(t: TestContext, promoteSecondaries: 0 | 1, failEverywhere: boolean) {
  const { ns, kernel, memory } = await kernelAndMemory(t, `v4order${promoteSecondaries}`);
  await ns.exec("sysctl", ["-qw", `net.ipv4.conf.all.promote_secondaries=${promoteSecondaries}`]);
  assert.equal((await ns.exec("cat", ["/proc/sys/net/ipv4/conf/all/promote_secondaries"])).stdout.trim(), String(promoteSecondaries));
  const state = (addresses: string[]) => {
    const list = addresses.map((a) => `{ip: ${a.split("/")[0]}, prefix-length: ${a.split("/")[1]}}`).join(", ");
    return loadDesired([{ file: "s.yml", text: `interfaces: [{name: gva1, type: veth, state: up, veth: {peer: gvb1}, ipv4: {enabled: true, address: [${list}]}}]` }]).state!;
  };
  const kernelOrder = async () =>
    (await ns.ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(["addr", "show", "dev", "gva1"]))[0]!.addr_info
      .filter((a) => a.family === "inet")
      .map((a) => `${a.local}/${a.prefixlen}`);
  const showOf = async (backend: KernelBackend | MemoryBackend) => toYaml((await backend.read()).state);
  // what the memory model is meant to agree on (it does not model MACs, MTU limits and the like)
  const comparable = async (backend: KernelBackend | MemoryBackend) => comparableShow((await backend.read()).state);
  const apply = (backend: HostBackend, desired: NetworkState) => applyState(backend, desired, { timeoutSeconds: 600 });
  // [from, to, the kernel's order after `to`]: each subnet's addresses in declared order (its first is its primary);
  // a subnet that did not change keeps its place, a changed one comes after it (the kernel appends new primaries).
  const flows: [string[], string[], string[]][] = [
    [["192.0.2.35/28", "192.0.2.36/28"], ["192.0.2.38/28", "192.0.2.36/28"], ["192.0.2.38/28", "192.0.2.36/28"]],
    // the reverse primary swap: the same addresses, the other one first
    [["192.0.2.38/28", "192.0.2.36/28"], ["192.0.2.36/28", "192.0.2.38/28"], ["192.0.2.36/28", "192.0.2.38/28"]],
    // a secondary added before an existing one; another subnet's primary, first before, must be first again after a rollback
    [["198.51.100.1/28", "192.0.2.36/28", "192.0.2.38/28"], ["192.0.2.36/28", "192.0.2.37/28", "192.0.2.38/28"], ["192.0.2.36/28", "192.0.2.37/28", "192.0.2.38/28"]],
    [["192.0.2.36/28", "198.51.100.1/28", "192.0.2.37/28"], ["198.51.100.2/28", "198.51.100.1/28", "192.0.2.36/28", "192.0.2.37/28"], ["192.0.2.36/28", "198.51.100.2/28", "192.0.2.37/28", "198.51.100.1/28"]],
  ];
  for (const [from, to, expected] of flows) {
    const flow = `${from.join(",")} → ${to.join(",")}`;
    // from a link without addresses, so that the first state's order is the one declared
    for (const backend of [kernel, memory]) for (const addresses of [[], from]) await apply(backend, state(addresses));
    const afterFrom = await showOf(kernel);
    const orderFrom = await kernelOrder();
    assert.deepEqual(orderFrom, from, `${flow}: the kernel holds the first state in declared order`);
    const comparableFrom = await comparable(kernel);
    assert.equal(await comparable(memory), comparableFrom, `${flow}: the memory backend agrees after the first state`);
    const planned = (await applyState(kernel, state(to), { dryRun: true })).operations.length;
    assert.ok(planned > 0, `${flow}: the change plans operations`);
    // the failure at the last operation (the fuzz's shrunk case), and with failEverywhere at every other one too
    for (let failAt = planned - 1; failAt >= (failEverywhere ? 0 : planned - 1); failAt--) {
      for (const backend of [kernel, memory]) {
        const faulty = failingOnce(backend, failAt);
        await assert.rejects(apply(faulty.backend, state(to)), /injected failure/, `${flow}: the failure at ${failAt + 1}/${planned} is reported`);
        assert.ok(faulty.fired(), `${flow}: the failure at ${failAt + 1}/${planned} was injected`);
      }
      assert.equal(await showOf(kernel), afterFrom, `${flow}: a failure at ${failAt + 1}/${planned} rolls back to the same show`);
      assert.deepEqual(await kernelOrder(), orderFrom, `${flow}: a failure at ${failAt + 1}/${planned} rolls back to the same kernel order`);
      assert.equal(await comparable(memory), comparableFrom, `${flow}: the memory backend rolls back alike`);
    }
    for (const backend of [kernel, memory]) {
      await apply(backend, state(to));
      assert.equal((await apply(backend, state(to))).operations.length, 0, `${flow}: ${backend.description}: the re-apply plans nothing`);
    }
    assert.deepEqual(await kernelOrder(), expected, `${flow}: the kernel's order`);
    assert.equal(await comparable(memory), await comparable(kernel), `${flow}: the memory backend agrees`);
  }
  // The last state's addresses with the subnets listed the other way round (the kernel holds .36, 198…2, .37, 198…1):
  // each subnet's order is unchanged, so nothing to do.
  const reordered = state(["192.0.2.36/28", "192.0.2.37/28", "198.51.100.2/28", "198.51.100.1/28"]);
  assert.equal((await applyState(kernel, reordered, { dryRun: true })).operations.length, 0, "listing the subnets in another order plans nothing");
}

test("IPv4 addresses of a subnet apply in declared order (first = primary), a failure at any operation rolls back to the same order, and the memory backend agrees", (t) =>
  addressOrderFlows(t, 0, true));

test("IPv4 address order with promote_secondaries = 1: applied in declared order, a failure at the last operation rolls back to the same order", (t) =>
  addressOrderFlows(t, 1, false));

// fuzz --seed 11 --steps 5 (shrunk, twice): a veth removed (its peer goes with it) and the change failing at its last
// operation. Neither the removed end (declared only `absent`) nor its undeclared peer had its router-advertisement switch
// read for the change; the rollback re-creates the pair and must give both ends the switch they had — the kernel's
// default for a link nodenet never set, and 0 for ends an earlier static-only IPv6 section set.
const REMOVED_PAIR_FLOWS: [string, string][] = [
  ["the ends as a new link has them", "interfaces: [{name: gva2, type: veth, state: up, veth: {peer: gvb2}, mtu: 1400, ipv4: {enabled: false}, ipv6: {enabled: false}}]"],
  ["both ends static-only (accept_ra 0)", "interfaces: [{name: gva2, type: veth, state: up, veth: {peer: gvb2}, ipv6: {enabled: true, address: []}}, {name: gvb2, type: veth, state: up, veth: {peer: gva2}, ipv6: {enabled: true, address: []}}]"],
];

test("a veth removed with its peer, failing at the last operation: the rollback re-creates the pair with both ends' accept_ra as before, and the memory backend agrees", async (t) => {
  const { ns, kernel, memory } = await kernelAndMemory(t, "peerra");
  const removed = loadDesired([
    { file: "b.yml", text: "interfaces: [{name: gva2, type: veth, state: absent}, {name: gbr1, type: linux-bridge, state: up, bridge: {port: []}, ipv4: {enabled: true, address: [{ip: 192.0.2.84, prefix-length: 28}]}, ipv6: {enabled: false}}]" },
  ]).state!;
  const acceptRa = async () => (await ns.exec("sh", ["-c", "cat /proc/sys/net/ipv6/conf/gva2/accept_ra /proc/sys/net/ipv6/conf/gvb2/accept_ra"])).stdout.trim().split("\n");
  for (const [label, text] of REMOVED_PAIR_FLOWS) {
    const pair = loadDesired([{ file: "a.yml", text }]).state!;
    for (const backend of [kernel, memory]) await applyState(backend, pair, { timeoutSeconds: 600 });
    const before = toYaml((await kernel.read()).state);
    const acceptRaBefore = await acceptRa();
    const comparableBefore = comparableShow((await kernel.read()).state);
    assert.equal(comparableShow((await memory.read()).state), comparableBefore, `${label}: the memory backend agrees after the pair`);
    const planned = (await applyState(kernel, removed, { dryRun: true })).operations.length;
    for (const backend of [kernel, memory]) {
      const faulty = failingOnce(backend, planned - 1);
      await assert.rejects(applyState(faulty.backend, removed, { timeoutSeconds: 600 }), /injected failure/);
      assert.ok(faulty.fired(), `${label}: ${backend.description}: the failure at ${planned}/${planned} was injected`);
    }
    assert.deepEqual(await acceptRa(), acceptRaBefore, `${label}: gva2's and gvb2's accept_ra are what they were`);
    assert.equal(toYaml((await kernel.read()).state), before, `${label}: the rollback restores the same show`);
    assert.equal(comparableShow((await memory.read()).state), comparableBefore, `${label}: the memory backend rolls back alike`);
  }
});
