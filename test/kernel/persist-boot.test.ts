/**
 * The persisted record and `nodenet boot` on the real kernel: what joins the
 * record (committed changes, merged; never pending or --memory-only ones), and
 * a "reboot" — the namespace deleted and made again with the same NICs — after
 * which boot brings the declared network back, or refuses a bad record, or
 * applies the rest around a missing NIC. Each test passes its own --record.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { parse } from "yaml";
import { run } from "../../src/host/kernel/exec.ts";
import { powerOff } from "../../src/lab/reboot.ts";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";

function recordIn(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-record-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "state.yml");
}

/** The namespace with two "NICs" (veths whose peers stay outside the state). */
async function node(t: TestContext): Promise<TestNetns> {
  const ns = await TestNetns.create("boot", t);
  await plugNics(ns);
  return ns;
}

async function plugNics(ns: TestNetns): Promise<void> {
  await ns.ip(["link", "add", "nic0", "address", "02:00:00:00:12:01", "type", "veth", "peer", "name", "nic0p"]);
  await ns.ip(["link", "add", "nic1", "address", "02:00:00:00:12:02", "type", "veth", "peer", "name", "nic1p"]);
  await ns.ip(["link", "set", "nic0p", "up"]);
  await ns.ip(["link", "set", "nic1p", "up"]);
}

/** A power cycle of the namespace: every process and all kernel state gone, the same NICs back. */
async function reboot(ns: TestNetns, nics = true): Promise<void> {
  await powerOff(ns.name);
  await run("ip", ["netns", "add", ns.name]);
  await ns.ip(["link", "set", "lo", "up"]);
  if (nics) await plugNics(ns);
}

const addresses = async (ns: TestNetns, name: string) =>
  (await ns.ipJson<{ addr_info: { local: string; family: string }[] }[]>(["addr", "show", "dev", name]))[0]?.addr_info.filter((a) => a.family === "inet").map((a) => a.local) ?? [];
const exists = async (ns: TestNetns, name: string) => (await ns.ipJson<unknown[]>(["link", "show"])).some((l) => (l as { ifname: string }).ifname === name);
const record = (file: string) => parse(readFileSync(file, "utf8")) as { interfaces?: { name: string; ipv4?: unknown }[]; routes?: { config: { destination: string }[] } };

const BRIDGE = `
interfaces:
- name: br1
  type: linux-bridge
  state: up
  bridge: {options: {stp: {enabled: false}}, port: [{name: nic1}]}
  ipv4: {enabled: true, address: [{ip: 198.51.100.12, prefix-length: 24}]}
`;
const ROUTE = `
routes:
  config:
  - {destination: 203.0.113.0/24, next-hop-address: 198.51.100.1, next-hop-interface: br1}
`;
const MGMT = `
interfaces:
- name: nic0
  type: ethernet
  state: up
  ipv4: {enabled: true, address: [{ip: 192.0.2.12, prefix-length: 24}]}
routes:
  config:
  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: nic0}
`;

describe("the persisted record", () => {
  test("accumulates committed changes, drops what is declared absent, and skips --memory-only and pending changes", async (t) => {
    const ns = await node(t);
    const file = recordIn(t);
    const [bridge, route, dummy, gone] = stateFiles(t, BRIDGE, ROUTE, "interfaces: [{name: v7, type: veth, state: up, veth: {peer: v7p}}]", "interfaces: [{name: br1, state: absent}]");
    const apply = (...args: string[]) => nodenet(["apply", "--netns", ns.name, "--no-probes", "--record", file, ...args]);

    assert.equal((await apply(bridge!)).code, 0);
    assert.deepEqual(record(file).interfaces?.map((i) => i.name), ["br1"], "what was declared, not what the host has");
    assert.equal((await apply(route!)).code, 0);
    assert.deepEqual(record(file).routes?.config.map((r) => r.destination), ["203.0.113.0/24"], "a later partial change adds to the record");
    assert.deepEqual(record(file).interfaces?.map((i) => i.name), ["br1"], "and keeps what was declared before");

    const before = readFileSync(file, "utf8");
    assert.equal((await apply("--memory-only", dummy!)).code, 0);
    assert.ok(await exists(ns, "v7"));
    assert.equal(readFileSync(file, "utf8"), before, "--memory-only leaves the record alone");

    const pending = await apply("--no-commit", "--timeout", "60", gone!);
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal(readFileSync(file, "utf8"), before, "a pending change is not in the record");
    const commit = await nodenet(["commit", "--netns", ns.name, "--record", file]);
    assert.equal(commit.code, 0, commit.stderr);
    assert.equal(record(file).interfaces, undefined, "committed: br1 left the record");
    assert.equal(record(file).routes, undefined, "with the routes through it");
    assert.equal(readdirSync(join(file, "..")).filter((n) => n.endsWith(".tmp")).length, 0, "no temp file left behind");

    // The record is a state nodenet apply accepts.
    const check = await nodenet(["validate", "--netns", ns.name, file]);
    assert.equal(check.code, 0, check.stderr);
  });
});

describe("nodenet boot after a reboot", () => {
  test("brings back the committed network, not a pending change, and changes nothing on a second run", async (t) => {
    const ns = await node(t);
    const file = recordIn(t);
    const [mgmt, bridge, pendingChange] = stateFiles(t, MGMT, BRIDGE, "interfaces: [{name: br1, type: linux-bridge, state: up, ipv4: {enabled: true, address: [{ip: 198.51.100.99, prefix-length: 24}]}}]");
    for (const f of [mgmt!, bridge!]) assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--record", file, f])).code, 0);
    const pending = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--record", file, "--no-commit", "--timeout", "120", pendingChange!]);
    assert.equal(pending.code, 0, pending.stderr);

    await reboot(ns);
    assert.equal(await exists(ns, "br1"), false);
    const boot = await nodenet(["boot", "--netns", ns.name, "--record", file, "--no-probes"]);
    assert.equal(boot.code, 0, boot.stderr);
    assert.match(boot.stderr, /applied management: nic0/);
    assert.deepEqual(await addresses(ns, "nic0"), ["192.0.2.12"]);
    assert.deepEqual(await addresses(ns, "br1"), ["198.51.100.12"], "the committed address, not the pending one");
    const routes = await ns.ipJson<{ dst: string; gateway?: string }[]>(["route", "show", "default"]);
    assert.equal(routes[0]?.gateway, "192.0.2.1");
    const master = (await ns.ipJson<{ master?: string }[]>(["link", "show", "nic1"]))[0]?.master;
    assert.equal(master, "br1");

    const again = await nodenet(["boot", "--netns", ns.name, "--record", file, "--no-probes"]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /checkpoint|operations/, "nothing to change the second time");
  });

  test("a truncated record: names the file, applies nothing, exits 2", async (t) => {
    const ns = await node(t);
    const file = recordIn(t);
    const [bridge] = stateFiles(t, BRIDGE);
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--record", file, bridge!])).code, 0);
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, text.indexOf("prefix-length") + 6));
    await reboot(ns);
    await ns.ip(["addr", "add", "192.0.2.50/24", "dev", "nic0"]); // what the OS brought up
    const boot = await nodenet(["boot", "--netns", ns.name, "--record", file, "--no-probes"]);
    assert.equal(boot.code, 2, boot.stderr);
    assert.ok(boot.stderr.includes(file), `the error names ${file}: ${boot.stderr}`);
    assert.match(boot.stderr, /nothing applied/);
    assert.equal(await exists(ns, "br1"), false, "nothing applied");
    assert.deepEqual(await addresses(ns, "nic0"), ["192.0.2.50"], "the OS's configuration is kept");

    writeFileSync(file, "");
    const empty = await nodenet(["boot", "--netns", ns.name, "--record", file, "--no-probes"]);
    assert.equal(empty.code, 2);
    assert.ok(empty.stderr.includes(file));
  });

  test("a NIC gone at boot: reported, exit 8, and the rest applied", async (t) => {
    const ns = await node(t);
    const file = recordIn(t);
    const [mgmt, bridge] = stateFiles(t, MGMT, BRIDGE);
    for (const f of [bridge!, mgmt!]) assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--record", file, f])).code, 0);
    await reboot(ns, false);
    await ns.ip(["link", "add", "nic1", "type", "veth", "peer", "name", "nic1p"]); // nic0 was replaced by nothing
    const boot = await nodenet(["boot", "--netns", ns.name, "--record", file, "--no-probes"]);
    assert.equal(boot.code, 8, boot.stderr);
    assert.match(boot.stderr, /MISSING nic0: no such interface/);
    assert.match(boot.stderr, /MISSING nic0: route to 0\.0\.0\.0\/0 not applied/);
    assert.deepEqual(await addresses(ns, "br1"), ["198.51.100.12"], "the bridge is applied without it");
  });
});

describe("nodenet service", () => {
  test("applies *.yml in name order, renames each to .applied, and they join the record", async (t) => {
    const ns = await node(t);
    const file = recordIn(t);
    const dir = mkdtempSync(join(tmpdir(), "nodenet-service-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // 02 builds on 01: applied in the other order it would be invalid (no such port).
    writeFileSync(join(dir, "01-veth.yml"), "interfaces: [{name: v3, type: veth, state: up, veth: {peer: v3p}}]\n");
    writeFileSync(join(dir, "02-bridge.yml"), "interfaces: [{name: br3, type: linux-bridge, state: up, bridge: {port: [{name: v3}]}}]\n");
    writeFileSync(join(dir, "notes.txt"), "not a state\n");
    const result = await nodenet(["service", "--netns", ns.name, "--record", file, "-c", dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ["01-veth.applied", "02-bridge.applied", "notes.txt"]);
    assert.ok(await exists(ns, "br3"));
    assert.deepEqual(record(file).interfaces?.map((i) => i.name), ["v3", "br3"]);
    const again = await nodenet(["service", "--netns", ns.name, "--record", file, "-c", dir]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /no \*\.yml/);

    // A file that fails does not stop the ones after it (nmstatectl service goes on too).
    writeFileSync(join(dir, "03-bad.yml"), "interfaces: [{name: x, type: vlan, state: up, vlan: {base-iface: nosuch, id: 7}}]\n");
    writeFileSync(join(dir, "04-after.yml"), "interfaces: [{name: v4, type: veth, state: up, veth: {peer: v4p}}]\n");
    const bad = await nodenet(["service", "--netns", ns.name, "--record", file, "-c", dir]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /service: FAILED .*03-bad\.yml: /);
    assert.match(bad.stderr, /service: 1 of 2 file\(s\) failed; the first: .*03-bad\.yml/);
    assert.ok(existsSync(join(dir, "03-bad.yml")), "a failed file keeps its name");
    assert.ok(existsSync(join(dir, "04-after.applied")), "the file after it is applied");
    assert.ok(await exists(ns, "v4"));
    assert.ok(!(await exists(ns, "x")), "nothing of the failed file is left");
  });
});
