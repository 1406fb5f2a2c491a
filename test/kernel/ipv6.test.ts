/**
 * `ipv6: {enabled: false}` turns the kernel's IPv6 off on that interface
 * (disable_ipv6=1, as NetworkManager does for nmstate), `show` reports
 * `enabled: true` whenever the kernel's IPv6 is on, a rollback puts the
 * switch back, and a later IPv6 section turns it on again.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";

async function disableIpv6(ns: TestNetns, name: string): Promise<string> {
  return (await ns.exec("cat", [`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`])).stdout.trim();
}

async function ipv6Of(ns: TestNetns, name: string): Promise<string> {
  const shown = await nodenet(["show", "--netns", ns.name, "--json"]);
  assert.equal(shown.code, 0, shown.stderr);
  const iface = (JSON.parse(shown.stdout) as { interfaces: { name: string; ipv6: unknown }[] }).interfaces.find((i) => i.name === name);
  return JSON.stringify(iface?.ipv6);
}

describe("ipv6 enabled: false is off", () => {
  test("sets disable_ipv6=1 (link-local gone), show tells on from off, re-apply is a no-op, rollback restores, an IPv6 section turns it on again", async (t) => {
    const ns = await TestNetns.create("ipv6off", t);
    await ns.batch(["link add v6a type veth peer name v6b", "link set v6a up", "link set v6b up"]);
    await ns.settle();
    assert.match(await ipv6Of(ns, "v6a"), /"enabled":true/, "IPv6 on with only a link-local address is enabled");
    const before = (await nodenet(["show", "--netns", ns.name])).stdout;

    const [off, on] = stateFiles(
      t,
      "interfaces:\n- {name: v6a, type: veth, ipv6: {enabled: false}}\n",
      'interfaces:\n- {name: v6a, type: veth, ipv6: {enabled: true, autoconf: false, dhcp: false, address: [{ip: "2001:db8:6::1", prefix-length: 64}]}}\n',
    );
    // A pending change, rolled back: the kernel's switch returns to 0 and show is byte-identical.
    const pending = await nodenet(["apply", "--netns", ns.name, "--no-probes", "--no-commit", off!]);
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal(await disableIpv6(ns, "v6a"), "1");
    const rolled = await nodenet(["rollback", "--netns", ns.name]);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(await disableIpv6(ns, "v6a"), "0");
    await ns.settle();
    assert.equal((await nodenet(["show", "--netns", ns.name])).stdout, before);

    const applied = await nodenet(["apply", "--netns", ns.name, "--no-probes", off!]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await disableIpv6(ns, "v6a"), "1");
    assert.equal(await disableIpv6(ns, "v6b"), "0", "only the declared interface");
    assert.equal((await ns.ip(["-6", "addr", "show", "dev", "v6a"])).stdout.trim(), "", "no IPv6 address left, link-local included");
    assert.match(await ipv6Of(ns, "v6a"), /"enabled":false/);
    assert.match(await ipv6Of(ns, "v6b"), /"enabled":true/);
    const again = await nodenet(["apply", "--netns", ns.name, "--no-probes", off!]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /no changes: the host already has this state \(no kernel writes\)/);

    const enabled = await nodenet(["apply", "--netns", ns.name, "--no-probes", on!]);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(await disableIpv6(ns, "v6a"), "0");
    assert.match((await ns.ip(["-6", "addr", "show", "dev", "v6a"])).stdout, /2001:db8:6::1\/64/);
    const onAgain = await nodenet(["apply", "--netns", ns.name, "--no-probes", on!]);
    assert.match(onAgain.stderr, /no changes: the host already has this state \(no kernel writes\)/);
  });
});
