/**
 * "Rolled back, the host is as before" must be true (issue 13, item 11): the
 * routing tables, with protocol and scope, are compared before the change and
 * after its rollback, and any difference the state model cannot restore is
 * named instead.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";
import { kernelSnapshot } from "../helpers/snapshot.ts";

async function hostWithRoute(t: Parameters<typeof TestNetns.create>[1], protocol: string): Promise<TestNetns> {
  const ns = await TestNetns.create(`rb${protocol}`, t);
  await ns.batch(["link add eth0 type veth peer name eth0p", "link set eth0 up", "link set eth0p up", "address add 192.0.2.10/24 dev eth0", `route add default via 192.0.2.1 dev eth0 proto ${protocol}`]);
  await ns.settle(); // link-local addresses (and their local routes) appear once duplicate address detection ends
  return ns;
}

describe("the rollback report", () => {
  for (const protocol of ["boot", "dhcp", "static", "ra"]) {
    test(`a default route of proto ${protocol}, lost with its address or re-added by the revert: restored with its protocol, byte-identical`, async (t) => {
      const ns = await hostWithRoute(t, protocol);
      const before = await kernelSnapshot(ns);
      for (const change of [
        "interfaces:\n- {name: eth0, type: veth, ipv4: {enabled: true, address: [{ip: 192.0.2.11, prefix-length: 24}]}}\n",
        "routes: {config: [{destination: 0.0.0.0/0, state: absent}, {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: eth0, metric: 5}]}\n",
      ]) {
        const [file] = stateFiles(t, change);
        const applied = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", file!]);
        assert.equal(applied.code, 0, applied.stderr);
        const rolled = await nodenet(["rollback", "--netns", ns.name]);
        assert.equal(rolled.code, 0, rolled.stderr);
        assert.match(rolled.stderr, /; the host is as before\n$/);
        await ns.settle();
        assert.equal(await kernelSnapshot(ns), before);
      }
    });
  }

  test("a change that leaves the routes alone: 'the host is as before', and it is byte-identical", async (t) => {
    const ns = await hostWithRoute(t, "boot");
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, "interfaces:\n- {name: eth0, type: veth, mtu: 1400}\n- {name: br9, type: linux-bridge, bridge: {port: []}}\n");
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", file!])).code, 0);
    const rolled = await nodenet(["rollback", "--netns", ns.name]);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stderr, /rolled back the change of \S+; the host is as before\n$/);
    await ns.settle();
    assert.equal(await kernelSnapshot(ns), before);
  });

  test("lo given an IPv6 address and rolled back: no ::1 route the namespace did not have, byte-identical", async (t) => {
    const ns = await TestNetns.create("rblo", t);
    await ns.settle();
    const before = await kernelSnapshot(ns);
    const [file] = stateFiles(t, 'interfaces:\n- {name: lo, type: loopback, ipv6: {enabled: true, address: [{ip: "2001:db8::1", prefix-length: 128}]}}\n');
    assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", file!])).code, 0);
    const rolled = await nodenet(["rollback", "--netns", ns.name]);
    assert.match(rolled.stderr, /; the host is as before\n$/);
    assert.doesNotMatch((await ns.ip(["-6", "route", "show", "table", "all"])).stdout, /^::1 dev lo proto kernel metric 256/m);
    assert.equal(await kernelSnapshot(ns), before);
  });

  test("a failed apply's rollback restores a DHCP default route the change took away", async (t) => {
    const ns = await hostWithRoute(t, "dhcp");
    // The gateway never answers (nothing behind eth0p): the probe fails and the change is rolled back.
    const [file] = stateFiles(t, "interfaces:\n- {name: eth0, type: veth, ipv4: {enabled: true, address: [{ip: 192.0.2.11, prefix-length: 24}]}}\n");
    const result = await nodenet(["apply", "--netns", ns.name, "--skip-probe", "dns", "--probe-timeout", "1", file!]);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /rolled back in \d+ ms; the host is as before\n/);
    assert.match((await ns.ip(["route", "show", "default"])).stdout, /^default via 192\.0\.2\.1 dev eth0 proto dhcp \n$/);
  });
});
