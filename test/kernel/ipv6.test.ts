/**
 * `ipv6: {enabled: false}` turns the kernel's IPv6 off on that interface
 * (disable_ipv6=1, as NetworkManager does for nmstate), `show` reports
 * `enabled: true` whenever the kernel's IPv6 is on, a rollback puts the
 * switch back, and a later IPv6 section turns it on again. Static-only IPv6
 * stops hearing router advertisements (accept_ra=0), proven with real RAs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { Dnsmasq } from "../helpers/dnsmasq.ts";
import { TestNetns } from "../helpers/netns.ts";
import { hostWithGateway } from "../helpers/topology.ts";

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function acceptRa(ns: TestNetns, name: string): Promise<string> {
  return (await ns.exec("cat", [`/proc/sys/net/ipv6/conf/${name}/accept_ra`])).stdout.trim();
}

/** Global addresses of `dev` from the advertised prefix 2001:db8:7::/64 (SLAAC). */
async function slaacOn(ns: TestNetns, dev: string): Promise<string[]> {
  const links = await ns.ipJson<{ addr_info?: { local: string }[] }[]>(["-6", "addr", "show", "dev", dev, "scope", "global"]);
  return links.flatMap((l) => l.addr_info ?? []).map((a) => a.local).filter((ip) => typeof ip === "string" && ip.startsWith("2001:db8:7:"));
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("static-only IPv6 hears no router advertisements", () => {
  test("autoconf: false, dhcp: false sets accept_ra=0 before RAs can act; show says so; a fresh RA adds nothing; rollback restores accept_ra; enabled: false leaves it", async (t) => {
    const { host, gateway } = await hostWithGateway(t, "ra");
    await gateway.batch(["address add 2001:db8:7::1/64 dev eth0"]);
    // A witness on the same wire, never touched by nodenet: it keeps the kernel's accept_ra=1, so an
    // address appearing on it proves that a router advertisement reached eth0 too.
    await host.batch(["link add wit0 link eth0 type macvlan mode bridge", "link set wit0 up"]);
    let radvd = await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"], routerAdvertisements: true }, t);
    await waitFor("SLAAC on the untouched eth0 and wit0", async () => (await slaacOn(host, "eth0")).length > 0 && (await slaacOn(host, "wit0")).length > 0);
    assert.match((await host.ip(["-6", "route", "show", "dev", "eth0", "proto", "ra"])).stdout, /default via fe80::/, "the RA's default route");
    assert.equal(await acceptRa(host, "eth0"), "1");
    assert.match(await ipv6Of(host, "eth0"), /"accept-ra":1/, "show says the kernel hears RAs");
    const before = (await nodenet(["show", "--netns", host.name])).stdout;

    const [staticOnly, off] = stateFiles(
      t,
      'interfaces:\n- {name: eth0, type: ethernet, ipv6: {enabled: true, autoconf: false, dhcp: false, address: [{ip: "2001:db8:6::10", prefix-length: 64}]}}\n',
      "interfaces:\n- {name: eth0, type: ethernet, ipv6: {enabled: false}}\n",
    );
    const args = ["--netns", host.name, "--skip-probe", "dns", "--skip-probe", "gateway"];
    const pending = await nodenet(["apply", ...args, "--no-commit", staticOnly!]);
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal(await acceptRa(host, "eth0"), "0");
    const rolled = await nodenet(["rollback", "--netns", host.name]);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(await acceptRa(host, "eth0"), "1", "rollback puts the kernel's switch back");
    // The SLAAC address the static list removed comes back with the next RA (RAs are heard again).
    await radvd.stop();
    radvd = await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"], routerAdvertisements: true }, t);
    await waitFor("the SLAAC address back on eth0", async () => (await slaacOn(host, "eth0")).length > 0);

    const plan = await nodenet(["diff", "--plan", "--netns", host.name, staticOnly!]);
    assert.match(plan.stdout, /sysctl -w net\/ipv6\/conf\/eth0\/accept_ra=0/, plan.stdout);
    const applied = await nodenet(["apply", ...args, staticOnly!]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await acceptRa(host, "eth0"), "0");
    assert.equal(await acceptRa(host, "wit0"), "1", "only the declared interface");
    assert.deepEqual(await slaacOn(host, "eth0"), [], "the static list replaced the SLAAC address");
    assert.equal((await host.ip(["-6", "route", "show", "dev", "eth0", "proto", "ra"])).stdout.trim(), "", "the RA routes went with it");
    const shown = await ipv6Of(host, "eth0");
    assert.match(shown, /"autoconf":false/);
    assert.match(shown, /"accept-ra":0/);
    assert.match(shown, /2001:db8:6::10/);

    // A fresh router advertisement (dnsmasq sends a burst as it starts) reaches the wire: the witness
    // takes an address again, eth0 takes none.
    await host.ip(["-6", "addr", "flush", "dev", "wit0", "scope", "global"]);
    await radvd.stop();
    radvd = await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"], routerAdvertisements: true }, t);
    await waitFor("an RA on the wire (the witness's SLAAC address)", async () => (await slaacOn(host, "wit0")).length > 0);
    await sleep(500);
    assert.deepEqual(await slaacOn(host, "eth0"), [], "no address from the RA on the static-only eth0");
    const again = await nodenet(["apply", ...args, staticOnly!]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /no changes: the host already has this state \(no kernel writes\)/);

    // enabled: false silences IPv6 with disable_ipv6 and leaves accept_ra as it was.
    const disabled = await nodenet(["apply", ...args, off!]);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(await disableIpv6(host, "eth0"), "1");
    assert.equal(await acceptRa(host, "eth0"), "0");
    assert.ok(before.includes("accept-ra: 1"), "show (YAML) reports accept-ra");
  });
});
