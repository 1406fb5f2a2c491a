/**
 * `nodenet apply` on the real kernel, in throwaway namespaces: applied states
 * checked with iproute2 independently of nodenet, idempotence watched with
 * `ip monitor`, and every failure path ending with the host as before.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";
import { hostWithGateway } from "../helpers/topology.ts";
import { kernelSnapshot } from "../helpers/snapshot.ts";
import { checkpointDirOf } from "../helpers/checkpoints.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function show(ns: TestNetns): Promise<string> {
  const result = await nodenet(["show", "--netns", ns.name]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

const BRIDGE_STATE = `
interfaces:
- name: veth0
  type: veth
  state: up
  veth: {peer: veth0p}
- name: br0
  type: linux-bridge
  state: up
  bridge:
    options: {stp: {enabled: false}, mac-ageing-time: 200}
    port: [{name: veth0, stp-path-cost: 7}]
  ipv4: {enabled: true, address: [{ip: 192.0.2.20, prefix-length: 24}]}
  ipv6: {enabled: true, address: [{ip: "2001:db8:1::20", prefix-length: 64}]}
routes:
  config:
  - {destination: 198.51.100.0/24, next-hop-address: 192.0.2.1, next-hop-interface: br0, metric: 50}
  - {destination: "2001:db8:2::/64", next-hop-address: "2001:db8:1::1", next-hop-interface: br0, table-id: 100}
dns-resolver:
  config: {server: [192.0.2.53, "2001:db8::53"], search: [example.com]}
`;

describe("a bridge over a veth with IPv4 and IPv6, routes and DNS", () => {
  test("is applied as declared, as iproute2 sees it", async (t) => {
    const ns = await TestNetns.create("bridge", t);
    const [file] = stateFiles(t, BRIDGE_STATE);
    const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /verified: the host matches/);

    const br0 = (await ns.ipJson<{ ifname: string; operstate: string; linkinfo: { info_data: { stp_state: number; ageing_time: number } } }[]>(["-d", "link", "show", "br0"]))[0]!;
    assert.equal(br0.linkinfo.info_data.stp_state, 0);
    assert.equal(br0.linkinfo.info_data.ageing_time, 20000);
    const port = (await ns.ipJson<{ master: string; linkinfo: { info_slave_data: { cost: number } } }[]>(["-d", "link", "show", "veth0"]))[0]!;
    assert.equal(port.master, "br0");
    assert.equal(port.linkinfo.info_slave_data.cost, 7);
    const addrs = await ns.ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(["addr", "show", "br0"]);
    assert.deepEqual(
      addrs[0]!.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort(),
      ["192.0.2.20/24", "2001:db8:1::20/64"],
    );
    assert.match((await ns.ip(["-br", "addr", "show", "veth0"])).stdout, /^veth0@veth0p\s+UP\s+fe80::\S+\s*$/, "the port has no address of its own");
    assert.match((await ns.ip(["route", "show", "198.51.100.0/24"])).stdout, /via 192\.0\.2\.1 dev br0 proto static metric 50/);
    assert.match((await ns.ip(["-6", "route", "show", "table", "100"])).stdout, /2001:db8:2::\/64 via 2001:db8:1::1 dev br0 proto static/);
    assert.equal(readFileSync(`/etc/netns/${ns.name}/resolv.conf`, "utf8").split("\n").filter((l) => !l.startsWith("#")).join("\n").trim(), "nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com");

    // The second apply makes no kernel change at all: nothing shows up in `ip monitor`.
    await ns.settle();
    const monitor = spawn("ip", ["-n", ns.name, "monitor", "all"], { stdio: ["ignore", "pipe", "ignore"] });
    let events = "";
    monitor.stdout.on("data", (d: Buffer) => (events += d.toString()));
    await sleep(300);
    const again = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    await sleep(500);
    monitor.kill();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /no changes: the host already has this state \(no kernel writes\)/);
    assert.equal(events.trim(), "", `ip monitor saw:\n${events}`);
  });

  test("state: absent removes the bridge, its veth pair and its routes; absent route wildcards remove exactly the matches", async (t) => {
    const ns = await TestNetns.create("absent", t);
    const [state, extraRoutes, removeRoutes, removeAll] = stateFiles(
      t,
      BRIDGE_STATE,
      `routes: {config: [{destination: 203.0.113.0/24, next-hop-address: 192.0.2.1, next-hop-interface: br0, table-id: 200}, {destination: 203.0.113.128/25, next-hop-address: 192.0.2.2, next-hop-interface: br0}]}`,
      `routes: {config: [{next-hop-interface: br0, table-id: 200, state: absent}]}`,
      `interfaces: [{name: br0, state: absent}, {name: veth0, state: absent}]`,
    );
    for (const file of [state!, extraRoutes!]) assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", file])).code, 0);
    const removed = await nodenet(["apply", "--netns", ns.name, "--no-probes", removeRoutes!]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await ns.ip(["route", "show", "table", "200"])).stdout.trim(), "", "the table-200 route is gone");
    assert.match((await ns.ip(["route", "show"])).stdout, /203\.0\.113\.128\/25 via 192\.0\.2\.2 dev br0/, "the main-table routes via br0 stay");
    assert.match((await ns.ip(["route", "show"])).stdout, /198\.51\.100\.0\/24 via 192\.0\.2\.1 dev br0/);

    const gone = await nodenet(["apply", "--netns", ns.name, "--no-probes", removeAll!]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.deepEqual((await ns.ipJson<{ ifname: string }[]>(["link", "show"])).map((l) => l.ifname), ["lo"]);
    assert.equal((await ns.ip(["-6", "route", "show", "table", "100"])).stdout.trim(), "");
  });
});

describe("the management move: eth0's address and default route onto a bridge", () => {
  test("declared correctly (static): succeeds, and the gateway answers", async (t) => {
    const { host } = await hostWithGateway(t, "mgmtok");
    const [file] = stateFiles(
      t,
      `interfaces:
- name: br0
  type: linux-bridge
  state: up
  bridge: {options: {stp: {enabled: false}}, port: [{name: eth0}]}
  ipv4: {enabled: true, address: [{ip: 192.0.2.10, prefix-length: 24}]}
routes:
  config:
  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: br0}
`,
    );
    const result = await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", file!]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /probe ok: default gateway 192\.0\.2\.1 via br0/);
    assert.match((await host.ip(["route", "show", "default"])).stdout, /default via 192\.0\.2\.1 dev br0/);
    assert.equal((await host.exec("ping", ["-c", "1", "-W", "2", "192.0.2.1"])).stdout.includes("1 received"), true);
    assert.deepEqual(await host.ipJson(["-4", "addr", "show", "eth0"]), [], "eth0 no longer holds an IPv4 address");
  });

  test("declared without IP configuration on the bridge: the gateway probe fails and the host is rolled back exactly", async (t) => {
    const { host } = await hostWithGateway(t, "mgmtbad");
    const before = await show(host);
    const kernelBefore = await kernelSnapshot(host);
    const [file] = stateFiles(t, "interfaces:\n- name: br0\n  type: linux-bridge\n  state: up\n  bridge: {options: {stp: {enabled: false}}, port: [{name: eth0}]}\n");
    const result = await nodenet(["apply", "--netns", host.name, "--probe-timeout", "3", file!]);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /warning: .*eth0 carries the default route/);
    assert.match(result.stderr, /default gateway 192\.0\.2\.1 via eth0 lost: no default route any more/);
    assert.match(result.stderr, /rolled back/);
    assert.equal(await show(host), before, "nodenet show is identical before and after");
    // Routes nodenet puts back are marked proto static (the kernel's boot and static both mean "configured").
    const comparable = (text: string) => text.split("\n").filter((l) => !l.includes("fe80::")).map((l) => l.replace(" proto static", "")).sort().join("\n");
    assert.equal(comparable(await kernelSnapshot(host)), comparable(kernelBefore), "and so is what iproute2 reports");
    assert.equal(existsSync(`${checkpointDirOf(host.name)}/checkpoint.json`), false);
  });
});

describe("failures in the middle", () => {
  test("a kernel error half-way through the batch rolls everything back", async (t) => {
    const ns = await TestNetns.create("midfail", t);
    await ns.batch(["link add vexist type veth peer name vexistp", "address add 203.0.113.5/24 dev vexist", "link set vexist up"]);
    const before = await show(ns);
    // The plan creates a bridge and enslaves a port first, then fails: validation lets a
    // multicast MAC address through (nmstate does too), the kernel refuses it.
    const [file] = stateFiles(
      t,
      `interfaces:
- {name: br7, type: linux-bridge, state: up, bridge: {port: [{name: vexist}]}, ipv4: {enabled: true, address: [{ip: 198.51.100.7, prefix-length: 24}]}}
- {name: vnew, type: veth, state: up, mac-address: "01:00:5E:00:00:01", veth: {peer: vnewp}}
`,
    );
    const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /operation \d+\/\d+ failed: ip link set dev vnew address 01:00:5E:00:00:01: RTNETLINK answers: Cannot assign requested address/);
    assert.match(result.stderr, /rolled back, the host is as before/);
    assert.equal(await show(ns), before);
  });
});

describe("commit, rollback and the watchdog", () => {
  const CHANGE = "interfaces:\n- {name: vw, type: veth, state: up, veth: {peer: vwp}, ipv4: {enabled: true, address: [{ip: 203.0.113.9, prefix-length: 24}]}}\n";

  test("--no-commit then commit keeps the change; another apply meanwhile is refused", async (t) => {
    const ns = await TestNetns.create("commit", t);
    const [file] = stateFiles(t, CHANGE);
    const pending = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", "--timeout", "60", file!]);
    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stderr, /change pending/);
    const refused = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.equal(refused.code, 7);
    assert.match(refused.stderr, /a change is pending on namespace .* run 'nodenet commit' or 'nodenet rollback' first/);
    const committed = await nodenet(["commit", "--netns", ns.name]);
    assert.equal(committed.code, 0, committed.stderr);
    assert.match((await ns.ip(["-br", "addr", "show", "vw"])).stdout, /203\.0\.113\.9\/24/);
    assert.equal(existsSync(`${checkpointDirOf(ns.name)}/checkpoint.json`), false);
  });

  test("--no-commit then rollback restores", async (t) => {
    const ns = await TestNetns.create("rollback", t);
    const before = await show(ns);
    const [file] = stateFiles(t, CHANGE);
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", file!])).code, 0);
    const rolled = await nodenet(["rollback", "--netns", ns.name]);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(await show(ns), before);
  });

  test("--no-commit, kill -9 of the applying process mid-apply, wait past the timeout: restored by the watchdog", async (t) => {
    const ns = await TestNetns.create("kill9", t);
    const before = await show(ns);
    const [file] = stateFiles(t, CHANGE);
    // A TCP probe to a silent address keeps the apply busy long enough to kill it mid-way.
    const child = spawn(new URL("../../bin/nodenet", import.meta.url).pathname, ["apply", "--netns", ns.name, "--no-commit", "--timeout", "3", "--skip-probe", "gateway", "--probe", "tcp:203.0.113.99:9", "--probe-timeout", "60", file!], { stdio: "ignore" });
    const checkpoint = `${checkpointDirOf(ns.name)}/checkpoint.json`;
    for (let i = 0; i < 100 && !existsSync(checkpoint); i++) await sleep(100);
    assert.ok(existsSync(checkpoint), "the change is in progress");
    for (let i = 0; i < 100 && !(await ns.ip(["-br", "link"])).stdout.includes("vw@"); i++) await sleep(100);
    child.kill("SIGKILL");
    assert.notEqual(await show(ns), before, "the change was applied when the process died");
    for (let i = 0; i < 100 && existsSync(checkpoint); i++) await sleep(100);
    assert.equal(existsSync(checkpoint), false, "the watchdog rolled back and removed the checkpoint");
    assert.equal(await show(ns), before);
  });
});
