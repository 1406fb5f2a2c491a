/**
 * nmstate spellings nodenet now accepts, where they change what is applied,
 * replayed on the real kernel in one namespace: each state applies, the
 * kernel (read with `ip -d -json`, not through nodenet) holds what the
 * spelling means, and a re-apply is a no-op (`diff` empty, `ip monitor` silent).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test, type TestContext } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function applyTwice(t: TestContext, ns: TestNetns, yaml: string): Promise<void> {
  const [file] = stateFiles(t, yaml);
  const first = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /verified: the host matches/);
  const diff = await nodenet(["diff", "--plan", "--netns", ns.name, file!]);
  assert.equal(diff.code, 0, diff.stderr);
  assert.equal(diff.stdout, "no changes: the host already has this state\n\nplan: nothing to do\n");
  await ns.settle();
  const monitor = spawn("ip", ["-n", ns.name, "monitor", "link", "address", "route", "rule"], { stdio: ["ignore", "pipe", "ignore"] });
  let events = "";
  monitor.stdout.on("data", (d: Buffer) => (events += d.toString()));
  await sleep(200);
  const again = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
  await sleep(300);
  monitor.kill();
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /no changes: the host already has this state \(no kernel writes\)/);
  assert.equal(events.trim(), "", `ip monitor saw:\n${events}`);
}

interface Link {
  ifname: string;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}
interface KernelRoute {
  dst: string;
  metric?: number;
  gateway?: string;
  nexthops?: { gateway: string; dev: string; weight?: number }[];
}
interface Rule {
  priority: number;
  src?: string;
  dst?: string;
  table: string;
}

test("bridge options by number and word, a rule without table, an empty-string absent matcher, an EVPN vxlan, an absent interface with malformed settings", async (t) => {
  const ns = await TestNetns.create("spell", t);

  await t.test("multicast-router 0, multicast-snooping 'no', group-fwd-mask and show's gc-timer", async (t) => {
    await applyTwice(t, ns, `interfaces:
- name: br0
  type: linux-bridge
  state: up
  bridge:
    options: {multicast-router: 0, multicast-snooping: 'no', group-fwd-mask: 8, gc-timer: 29657, hello-timer: 0, stp: {enabled: 'off'}}
`);
    const [br] = await ns.ipJson<Link[]>(["-d", "link", "show", "br0"]);
    assert.equal(br?.linkinfo?.info_data?.mcast_router, 0);
    assert.equal(br?.linkinfo?.info_data?.mcast_snooping, 0);
    assert.equal(Number(br?.linkinfo?.info_data?.group_fwd_mask), 8);
    assert.equal(br?.linkinfo?.info_data?.stp_state, 0);
  });

  await t.test("a rule without route-table looks up main", async (t) => {
    await applyTwice(t, ns, "route-rules:\n  config:\n  - {ip-from: 198.51.100.0/24, priority: 1000}\n");
    const rules = await ns.ipJson<Rule[]>(["rule", "show"]);
    const rule = rules.find((r) => r.priority === 1000);
    assert.deepEqual({ src: rule?.src, table: rule?.table }, { src: "198.51.100.0", table: "main" });
  });

  await t.test('an absent rule with ip-from: "" removes only the rules without a source', async (t) => {
    await applyTwice(t, ns, `route-rules:
  config:
  - {ip-to: 203.0.113.0/24, priority: 1001, route-table: 100}
  - {ip-from: 192.0.2.0/24, priority: 1002, route-table: 100}
`);
    await applyTwice(t, ns, "route-rules:\n  config:\n  - {ip-from: '', route-table: 100, state: absent}\n");
    const rules = await ns.ipJson<Rule[]>(["rule", "show"]);
    assert.deepEqual(rules.filter((r) => r.priority >= 1000 && r.priority <= 1002).map((r) => r.priority), [1000, 1002]);
  });

  await t.test("a VXLAN without remote (EVPN), its numbers as strings", async (t) => {
    await applyTwice(t, ns, "interfaces:\n- {name: vx1, type: vxlan, state: up, vxlan: {id: '101', learning: 'false', local: 192.0.2.4, destination-port: '3389'}}\n");
    const [vx] = await ns.ipJson<Link[]>(["-d", "link", "show", "vx1"]);
    const data = vx?.linkinfo?.info_data ?? {};
    assert.deepEqual({ id: data.id, local: data.local, port: data.port, learning: data.learning, remote: data.group ?? data.remote }, { id: 101, local: "192.0.2.4", port: 3389, learning: false, remote: undefined });
  });

  await t.test("several routes of one destination, table and metric are one ECMP route; absent of one member keeps the other", async (t) => {
    await applyTwice(t, ns, `interfaces:
- {name: e0, type: veth, state: up, veth: {peer: e0p}, ipv4: {enabled: true, dhcp: false, address: [{ip: 192.0.2.251, prefix-length: 24}]}}
- {name: e0p, type: veth, state: up, veth: {peer: e0}}
routes:
  config:
  - {destination: 198.51.100.0/24, metric: 150, next-hop-address: 192.0.2.1, next-hop-interface: e0, weight: 1, table-id: 254}
  - {destination: 198.51.100.0/24, metric: 150, next-hop-address: 192.0.2.2, next-hop-interface: e0, weight: 256, table-id: 254}
`);
    const [ecmp, ...more] = await ns.ipJson<KernelRoute[]>(["route", "show", "198.51.100.0/24"]);
    assert.equal(more.length, 0);
    assert.equal(ecmp?.metric, 150);
    assert.deepEqual(ecmp?.nexthops?.map((h) => [h.gateway, h.dev, h.weight ?? 1]), [["192.0.2.1", "e0", 1], ["192.0.2.2", "e0", 256]]);
    await applyTwice(t, ns, "routes:\n  config:\n  - {destination: 198.51.100.0/24, next-hop-address: 192.0.2.2, state: absent}\n");
    const left = await ns.ipJson<KernelRoute[]>(["route", "show", "198.51.100.0/24"]);
    assert.deepEqual(left.map((r) => [r.gateway, r.metric, r.nexthops]), [["192.0.2.1", 150, undefined]]);
  });

  await t.test("an absent interface's malformed settings are ignored and it is removed", async (t) => {
    await applyTwice(t, ns, "interfaces:\n- name: vx1\n  type: vxlan\n  state: absent\n  ipv4: {enabled: 'true', address: [{ip: g.g.g.g, prefix-length: '24'}]}\n");
    const links = await ns.ipJson<Link[]>(["link", "show"]);
    assert.equal(links.some((l) => l.ifname === "vx1"), false);
  });
});
