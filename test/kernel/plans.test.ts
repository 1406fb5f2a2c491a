/**
 * Multi-step changes a user makes in one state, replayed with the CLI on the
 * real kernel: veth pairs whose ends become bridge ports as they are created,
 * ends moved between bridges, and declarations that equal the host modulo
 * spelling. Each must apply, match iproute2's view, and re-apply as a no-op
 * (`diff` empty, zero operations, the kernel unchanged).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test, type TestContext } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function masterOf(ns: TestNetns, name: string): Promise<string | undefined> {
  const [link] = await ns.ipJson<{ master?: string; operstate: string }[]>(["link", "show", name]);
  return link?.master;
}

async function apply(ns: TestNetns, file: string) {
  const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /verified: the host matches/);
  return result;
}

/** Links (with port and bridge details), addresses and routes as iproute2 reports them, without counters. */
async function kernelView(ns: TestNetns): Promise<string> {
  const [links, addrs, routes] = await Promise.all([ns.ipJson<Record<string, unknown>[]>(["-d", "link", "show"]), ns.ip(["addr", "show"]), ns.ip(["route", "show", "table", "all"])]);
  // Timers and counters move on their own; everything a write could change stays.
  const stable = JSON.stringify(links, (key, value) => (/timer|^stats/.test(key) ? undefined : value));
  return [stable, addrs.stdout.replace(/valid_lft.*|preferred_lft.*/g, ""), routes.stdout].join("\n");
}

/**
 * A second apply of the same file: `diff` shows nothing, the plan is empty,
 * no address or route event reaches `ip monitor`, and the links read the same
 * before and after. (Link events are not watched: the bridge announces its
 * ports' states again on its own, seconds after a port joined.)
 */
async function assertNoop(ns: TestNetns, file: string): Promise<void> {
  const diff = await nodenet(["diff", "--plan", "--netns", ns.name, file]);
  assert.equal(diff.code, 0, diff.stderr);
  assert.equal(diff.stdout, "no changes: the host already has this state\n\nplan: nothing to do\n");
  await ns.settle();
  const monitor = spawn("ip", ["-n", ns.name, "monitor", "address", "route"], { stdio: ["ignore", "pipe", "ignore"] });
  let events = "";
  monitor.stdout.on("data", (d: Buffer) => (events += d.toString()));
  await sleep(200);
  const before = await kernelView(ns);
  const again = await nodenet(["apply", "--netns", ns.name, "--no-probes", file]);
  await sleep(300);
  monitor.kill();
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /no changes: the host already has this state \(no kernel writes\)/);
  assert.equal(events.trim(), "", `ip monitor saw:\n${events}`);
  assert.equal(await kernelView(ns), before);
}

async function step(t: TestContext, ns: TestNetns, yaml: string): Promise<string> {
  const [file] = stateFiles(t, yaml);
  await apply(ns, file!);
  await assertNoop(ns, file!);
  return file!;
}

describe("a veth pair and bridges in one state", () => {
  test("peer enslaved to a new bridge: the plan attaches it, apply succeeds, re-apply is a no-op", async (t) => {
    const ns = await TestNetns.create("vethbr", t);
    const [file] = stateFiles(t, "interfaces:\n- {name: q0, type: veth, veth: {peer: p0}}\n- {name: b0, type: linux-bridge, bridge: {port: [{name: p0}]}}\n");
    const planned = await nodenet(["diff", "--plan", "--netns", ns.name, file!]);
    assert.equal(planned.code, 0, planned.stderr);
    assert.match(planned.stdout, /\+ interface p0 \[veth\]: created \(port of b0; veth peer of q0\)\n {4}controller: b0\n/);
    assert.match(planned.stdout, /ip link set dev p0 master b0\n/);
    assert.match(planned.stdout, /ip link set dev p0 up\n/);
    await apply(ns, file!);
    assert.equal(await masterOf(ns, "p0"), "b0");
    assert.equal(await masterOf(ns, "q0"), undefined);
    assert.match((await ns.ip(["-br", "link", "show", "p0"])).stdout, /UP/);
    await assertNoop(ns, file!);
  });

  test("peer of a new pair enslaved to an existing bridge, both ends of another pair to two bridges, then ends moved between bridges", async (t) => {
    const ns = await TestNetns.create("vethmv", t);
    await step(t, ns, "interfaces:\n- {name: b0, type: linux-bridge, bridge: {options: {stp: {enabled: false}}, port: []}}\n");

    // A new pair: its peer joins the bridge that already exists, with a port setting.
    await step(t, ns, "interfaces:\n- {name: q1, type: veth, veth: {peer: p1}}\n- {name: b0, type: linux-bridge, bridge: {port: [{name: p1, stp-path-cost: 9}]}}\n");
    assert.equal(await masterOf(ns, "p1"), "b0");
    assert.equal((await ns.ipJson<{ linkinfo: { info_slave_data: { cost: number } } }[]>(["-d", "link", "show", "p1"]))[0]!.linkinfo.info_slave_data.cost, 9);

    // Both ends of a new pair, each to its own new bridge.
    await step(
      t,
      ns,
      "interfaces:\n- {name: q2, type: veth, veth: {peer: p2}}\n- {name: b1, type: linux-bridge, bridge: {options: {stp: {enabled: false}}, port: [{name: q2}]}}\n- {name: b2, type: linux-bridge, bridge: {options: {stp: {enabled: false}}, port: [{name: p2}]}}\n",
    );
    assert.equal(await masterOf(ns, "q2"), "b1");
    assert.equal(await masterOf(ns, "p2"), "b2");

    // Moves: q2 from b1 to b2 by the bridges' port lists; then p1 from b0 to b1 by its own controller key
    // (two states: one naming b1 as p1's controller while declaring b1's port list without p1 is refused, as nmstate refuses it).
    await step(t, ns, "interfaces:\n- {name: b1, type: linux-bridge, bridge: {port: []}}\n- {name: b2, type: linux-bridge, bridge: {port: [{name: p2}, {name: q2}]}}\n");
    assert.equal(await masterOf(ns, "q2"), "b2");
    await step(t, ns, "interfaces:\n- {name: p1, controller: b1}\n");
    assert.equal(await masterOf(ns, "p1"), "b1");
    assert.match((await ns.ip(["-br", "link", "show", "p1"])).stdout, /UP/);

    // A whole pair declared as bridge ports with `type: ethernet` (nmstate's name for a veth with a veth section).
    await step(t, ns, "interfaces:\n- {name: q3, type: ethernet, veth: {peer: p3}}\n- {name: b0, type: linux-bridge, bridge: {port: [{name: p3}, {name: q3}]}}\n");
    assert.equal(await masterOf(ns, "p3"), "b0");
    assert.equal(await masterOf(ns, "q3"), "b0");
    assert.equal(await masterOf(ns, "p1"), "b1", "b0's declared list does not pull p1 back");
  });
});

describe("every diff line means a change", () => {
  test("a veth declared as type: ethernet, and keys equal modulo spelling, show no diff and plan nothing", async (t) => {
    const ns = await TestNetns.create("phantom", t);
    await step(
      t,
      ns,
      `interfaces:
- name: q0
  type: veth
  veth: {peer: p0}
  mtu: 1400
  ipv4: {enabled: true, address: [{ip: 192.0.2.5, prefix-length: 24}, {ip: 198.51.100.4, prefix-length: 24}]}
  ipv6: {enabled: true, address: [{ip: "2001:db8::5", prefix-length: 64}]}
- name: b0
  type: linux-bridge
  bridge: {options: {mac-ageing-time: 200, stp: {enabled: false}}, port: [{name: p0, stp-priority: 40}]}
`,
    );
    const [link] = await ns.ipJson<{ address: string }[]>(["link", "show", "q0"]);
    const respelled = `interfaces:
- name: q0
  type: ethernet
  mac-address: "${link!.address.toUpperCase()}"
  mtu: "1400"
  ipv4: {enabled: true, address: [{ip: 198.51.100.4, prefix-length: "24"}, {ip: 192.0.2.5, prefix-length: 24}]}
  ipv6: {enabled: true, address: [{ip: "2001:0db8:0:0::0005", prefix-length: 64}]}
- name: b0
  type: linux-bridge
  bridge: {options: {mac-ageing-time: "200", stp: {enabled: false}}, port: [{name: p0}]}
`;
    const [file] = stateFiles(t, respelled);
    await assertNoop(ns, file!);
    const shown = await nodenet(["show", "--netns", ns.name]);
    assert.match(shown.stdout, /- name: q0\n {4}type: veth\n/, "the kind stays veth");
  });

  test("a type that differs from the kind is refused naming the field, nothing touched", async (t) => {
    const ns = await TestNetns.create("kind", t);
    await step(t, ns, "interfaces:\n- {name: b0, type: linux-bridge}\n");
    const [file] = stateFiles(t, "interfaces:\n- {name: b0, type: ethernet}\n");
    const refused = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /interfaces\[0\]\.type: b0 exists as linux-bridge; it cannot become ethernet in place/);
  });
});
