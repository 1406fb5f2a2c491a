/**
 * kubernetes-nmstate's rollback scenarios (test/e2e/handler/rollback_test.go)
 * and nmstate's, replayed with the CLI on the real kernel: one host and its
 * gateway for the whole file, the gateway running dnsmasq as the DNS server.
 * Each scenario asserts the exit status and message the user sees, and that
 * `show` afterwards is byte-identical to `show` before.
 */
import assert from "node:assert/strict";
import { after, before, describe, test, type TestContext } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { Dnsmasq } from "../helpers/dnsmasq.ts";
import type { TestNetns } from "../helpers/netns.ts";
import { hostWithGateway } from "../helpers/topology.ts";

const cleanups: (() => unknown)[] = [];
const suite = { after: (fn: () => unknown) => void cleanups.push(fn) };
let host: TestNetns;
let gatewayLinkLocal: string;

async function show(): Promise<string> {
  const result = await nodenet(["show", "--netns", host.name]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

/** Applies `yaml`, expecting failure with `code` and `message`, and the host exactly as before. */
async function rolledBack(t: TestContext, yaml: string, code: number, message: RegExp, extra: string[] = []): Promise<void> {
  const shownBefore = await show();
  const [file] = stateFiles(t, yaml);
  const result = await nodenet(["apply", "--netns", host.name, "--probe-timeout", "3", ...extra, file!]);
  assert.equal(result.code, code, result.stderr);
  assert.match(result.stderr, message);
  assert.equal(await show(), shownBefore);
}

describe("upstream rollback scenarios", () => {
  before(async () => {
    const topology = await hostWithGateway(suite, "rbscn");
    host = topology.host;
    await topology.gateway.settle();
    const [link] = await topology.gateway.ipJson<{ addr_info: { local: string; scope: string }[] }[]>(["-6", "addr", "show", "dev", "eth0"]);
    gatewayLinkLocal = link!.addr_info.find((a) => a.scope === "link")!.local;
    await Dnsmasq.start({ netns: topology.gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"] }, suite);
    await host.settle();
    // The host's DNS, as a node would have it: the gateway's server.
    const [dns] = stateFiles(suite, "dns-resolver:\n  config: {server: [192.0.2.1], search: [example.com]}\n");
    const applied = await nodenet(["apply", "--netns", host.name, dns!]);
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test("a bad default gateway in the main table is rolled back", async (t) => {
    await rolledBack(
      t,
      "routes:\n  config:\n  - {destination: 0.0.0.0/0, state: absent}\n  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.254, next-hop-interface: eth0}\n",
      4,
      /default gateway 192\.0\.2\.254 .*rolled back, the host is as before/,
    );
  });

  test("DNS servers removed are rolled back", async (t) => {
    await rolledBack(t, "dns-resolver:\n  config: {server: [], search: []}\n", 4, /DNS lost: the host used 192\.0\.2\.1 and has no DNS server any more; rolled back, the host is as before/);
  });

  test("a wrong global DNS server is rolled back", async (t) => {
    await rolledBack(t, "dns-resolver:\n  config: {server: [192.0.2.53]}\n", 4, /192\.0\.2\.53.*rolled back, the host is as before/);
  });

  test("a wrong link-local DNS server fe80::…%eth0 is rolled back", async (t) => {
    const wrong = gatewayLinkLocal.replace(/[0-9a-f]+$/, (h) => (parseInt(h, 16) ^ 1).toString(16));
    await rolledBack(t, `dns-resolver:\n  config: {server: ["${wrong}%eth0"]}\n`, 4, /fe80::.*rolled back, the host is as before/);
  });

  test("an invalid key injected into a bond, bridge, vlan or vxlan is refused naming it, nothing touched", async (t) => {
    const cases: [string, RegExp][] = [
      ["interfaces:\n- {name: bond9, type: bond, link-aggregation: {mode: active-backup, port: [], options: {no-such-option: 1}}}\n", /interfaces\[0\]\.link-aggregation\.options/],
      ["interfaces:\n- {name: br9, type: linux-bridge, bridge: {options: {no-such-option: 1}}}\n", /interfaces\[0\]\.bridge\.options\.no-such-option/],
      ["interfaces:\n- {name: eth0.9, type: vlan, vlan: {base-iface: eth0, id: 9, no-such-key: 1}}\n", /interfaces\[0\]\.vlan\.no-such-key/],
      ["interfaces:\n- {name: vx9, type: vxlan, vxlan: {id: 9, base-iface: eth0, remote: 192.0.2.1, no-such-key: 1}}\n", /interfaces\[0\]\.vxlan\.no-such-key/],
    ];
    for (const [yaml, field] of cases) await rolledBack(t, yaml, 2, field);
  });

  test("--no-commit then rollback restores the MTU and the DNS configuration", async (t) => {
    const shownBefore = await show();
    const [file] = stateFiles(t, "interfaces:\n- {name: eth1, mtu: 1400}\ndns-resolver:\n  config: {server: [192.0.2.1], search: [example.org]}\n");
    const pending = await nodenet(["apply", "--netns", host.name, "--no-commit", "--skip-probe", "dns", file!]);
    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stderr, /change pending/);
    assert.match((await host.ip(["link", "show", "eth1"])).stdout, /mtu 1400/);
    const rolled = await nodenet(["rollback", "--netns", host.name]);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(await show(), shownBefore);
  });

  test("a second apply while one is pending is a conflict (exit 7); --timeout 5 without commit rolls back", async (t) => {
    const shownBefore = await show();
    const [file] = stateFiles(t, "interfaces:\n- {name: eth1, mtu: 1300}\n");
    const pending = await nodenet(["apply", "--netns", host.name, "--no-commit", "--timeout", "5", file!]);
    assert.equal(pending.code, 0, pending.stderr);
    const second = await nodenet(["apply", "--netns", host.name, file!]);
    assert.equal(second.code, 7);
    assert.match(second.stderr, /a change is pending on namespace .* run 'nodenet commit' or 'nodenet rollback' first/);
    assert.match((await host.ip(["link", "show", "eth1"])).stdout, /mtu 1300/);
    // The watchdog rolls back at the deadline: wait for it (the checkpoint goes away), not for a fixed time.
    for (let i = 0; i < 150 && (await show()) !== shownBefore; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await show(), shownBefore);
  });
});
