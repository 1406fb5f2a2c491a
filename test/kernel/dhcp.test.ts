/** DHCP for real: Debian's udhcpc in the target namespace against dnsmasq in a peer namespace. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { Dnsmasq } from "../helpers/dnsmasq.ts";
import { pidsIn } from "../helpers/netns.ts";
import { hostWithGateway } from "../helpers/topology.ts";

const resolvConf = (ns: string) => readFileSync(`/etc/netns/${ns}/resolv.conf`, "utf8");

describe("DHCP against dnsmasq", () => {
  test("an interface gets its address, default gateway and DNS; switching to static stops the client", async (t) => {
    const { host, gateway } = await hostWithGateway(t, "dhcp", { staticAddress: false });
    await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"], domain: "lab.example" }, t);
    const [dhcp, staticState] = stateFiles(
      t,
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv4: {enabled: true, dhcp: true}}\n",
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv4: {enabled: true, dhcp: false, address: [{ip: 192.0.2.60, prefix-length: 24}]}}\nroutes: {config: [{destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: eth0}]}\n",
    );
    const applied = await nodenet(["apply", "--netns", host.name, dhcp!]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stderr, /probe ok: default gateway 192\.0\.2\.1 via eth0/);
    assert.match(applied.stderr, /probe ok: DNS server 192\.0\.2\.1/);
    assert.match((await host.ip(["-4", "-br", "addr", "show", "eth0"])).stdout, /192\.0\.2\.(1[0-4]\d|150)\/24/);
    assert.match((await host.ip(["route", "show", "default"])).stdout, /default via 192\.0\.2\.1 dev eth0 proto dhcp/);
    assert.match(resolvConf(host.name), /nameserver 192\.0\.2\.1\nsearch lab\.example/);
    const shown = await nodenet(["show", "--netns", host.name, "eth0", "--json"]);
    const eth0 = JSON.parse(shown.stdout).interfaces[0];
    assert.equal(eth0.ipv4.dhcp, true);
    assert.equal((await host.exec("ps", ["-o", "comm=", "-p", (await pidsIn(host.name)).join(",")])).stdout.includes("udhcpc"), true);

    const again = await nodenet(["apply", "--netns", host.name, dhcp!]);
    assert.match(again.stderr, /no changes/, "a running DHCP client is not restarted");

    // The static state declares no DNS: the servers learned over DHCP go with the lease, which
    // the DNS probe reports as "DNS lost" (and rolls back) unless that probe is skipped.
    const lostDns = await nodenet(["apply", "--netns", host.name, staticState!]);
    assert.equal(lostDns.code, 4, lostDns.stderr);
    assert.match(lostDns.stderr, /DNS lost: the host used 192\.0\.2\.1 and has no DNS server any more; rolled back/);
    assert.match(resolvConf(host.name), /nameserver 192\.0\.2\.1/, "the rollback restored the learned DNS");
    const toStatic = await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", staticState!]);
    assert.equal(toStatic.code, 0, toStatic.stderr);
    assert.deepEqual(await pidsIn(host.name), [], "the DHCP client is stopped");
    assert.equal((await host.ip(["-4", "-br", "addr", "show", "eth0"])).stdout.trim().split(/\s+/).slice(2).join(" "), "192.0.2.60/24");
    assert.match((await host.ip(["route", "show", "default"])).stdout, /default via 192\.0\.2\.1 dev eth0 proto static/);
    assert.doesNotMatch(resolvConf(host.name), /192\.0\.2\.1/, "DNS learned over DHCP is gone with the lease");
  });

  test("the management move with DHCP: a bridge takes eth0's MAC and gets the lease", async (t) => {
    const { host, gateway } = await hostWithGateway(t, "dhcpbr", { staticAddress: false });
    await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"] }, t);
    const [dhcp, bridge] = stateFiles(
      t,
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv4: {enabled: true, dhcp: true}}\n",
      `capture:
  gw: routes.running.destination=="0.0.0.0/0"
  nic: interfaces.name==capture.gw.routes.running.0.next-hop-interface
desiredState:
  interfaces:
  - name: br0
    type: linux-bridge
    state: up
    mac-address: "{{ capture.nic.interfaces.0.mac-address }}"
    ipv4: {enabled: true, dhcp: true}
    bridge:
      options: {stp: {enabled: false}}
      port: [{name: "{{ capture.nic.interfaces.0.name }}"}]
`,
    );
    assert.equal((await nodenet(["apply", "--netns", host.name, dhcp!])).code, 0);
    const lease = (await host.ip(["-4", "-br", "addr", "show", "eth0"])).stdout.split(/\s+/)[2];
    const moved = await nodenet(["apply", "--netns", host.name, bridge!]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /probe ok: default gateway 192\.0\.2\.1 via br0/);
    assert.equal((await host.ip(["-4", "-br", "addr", "show", "br0"])).stdout.split(/\s+/)[2], lease, "same MAC, same lease");
    assert.match(resolvConf(host.name), /nameserver 192\.0\.2\.1/, "DNS learned without a search domain too");
    assert.deepEqual(await host.ipJson(["-4", "addr", "show", "eth0"]), []);
  });
});

describe("IPv6 autoconf (SLAAC) against dnsmasq's router advertisements", () => {
  test("autoconf: true takes an address from the advertised prefix; turning it off removes it", async (t) => {
    const { host, gateway } = await hostWithGateway(t, "slaac");
    await gateway.batch(["address add 2001:db8:7::1/64 dev eth0"]);
    await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"], routerAdvertisements: true }, t);
    const [on, off] = stateFiles(
      t,
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv6: {enabled: true, autoconf: true}}\n",
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv6: {enabled: false}}\n",
    );
    const applied = await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", on!]);
    assert.equal(applied.code, 0, applied.stderr);
    const slaac = async () => (await host.ipJson<{ addr_info: { local: string; scope: string; dynamic?: boolean }[] }[]>(["-6", "addr", "show", "dev", "eth0", "scope", "global"]))[0]?.addr_info ?? [];
    for (let i = 0; i < 100 && !(await slaac()).some((a) => a.local.startsWith("2001:db8:7:")); i++) await new Promise((r) => setTimeout(r, 200));
    const address = (await slaac()).find((a) => a.local.startsWith("2001:db8:7:"));
    assert.ok(address, "an address from the advertised prefix 2001:db8:7::/64");
    assert.equal(address.dynamic, true, "it is a SLAAC (dynamic) address");
    const shown = JSON.parse((await nodenet(["show", "--netns", host.name, "eth0", "--json"])).stdout).interfaces[0];
    assert.equal(shown.ipv6.autoconf, true);
    assert.ok(shown.ipv6.address.some((a: { ip: string }) => a.ip === address.local));
    assert.match((await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", on!])).stderr, /no changes/, "re-applying does not touch it");

    // enabled: false turns the kernel's IPv6 off, so the default route learned from router
    // advertisements goes too: the gateway probe reports it lost unless it is skipped.
    const stopped = await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", "--skip-probe", "gateway", off!]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal((await slaac()).length, 0, "the SLAAC address is gone");
  });
});

describe("DHCPv6 against dnsmasq", () => {
  test("ipv6.dhcp takes an address and DNS server from the DHCPv6 server; turning it off releases them", async (t) => {
    const { host, gateway } = await hostWithGateway(t, "dhcp6");
    await gateway.batch(["address add 2001:db8:8::1/64 dev eth0"]);
    await Dnsmasq.start({ netns: gateway.name, iface: "eth0", address: "192.0.2.1", range: ["192.0.2.100", "192.0.2.150"], dhcp6Range: ["2001:db8:8::100", "2001:db8:8::1ff"] }, t);
    const [on, off] = stateFiles(
      t,
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv6: {enabled: true, dhcp: true}}\n",
      "interfaces:\n- {name: eth0, type: ethernet, state: up, ipv6: {enabled: false}}\n",
    );
    const applied = await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", on!]);
    assert.equal(applied.code, 0, applied.stderr);
    const global6 = async () => (await host.ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(["-6", "addr", "show", "dev", "eth0", "scope", "global"]))[0]?.addr_info ?? [];
    const leased = (await global6()).find((a) => a.local.startsWith("2001:db8:8::1"));
    assert.ok(leased, `an address from the DHCPv6 range, got ${JSON.stringify(await global6())}`);
    assert.match(resolvConf(host.name), /nameserver 2001:db8:8::1/);
    const shown = JSON.parse((await nodenet(["show", "--netns", host.name, "eth0", "--json"])).stdout).interfaces[0];
    assert.equal(shown.ipv6.dhcp, true);
    assert.match((await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", on!])).stderr, /no changes/, "a running DHCPv6 client is not restarted");

    const stopped = await nodenet(["apply", "--netns", host.name, "--skip-probe", "dns", "--skip-probe", "gateway", off!]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(await global6(), [], "the leased address is gone");
    assert.deepEqual(await pidsIn(host.name), [], "no DHCP client is left");
    assert.doesNotMatch(resolvConf(host.name), /2001:db8:8::1/);
  });
});
