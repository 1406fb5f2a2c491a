/** The lab network's layout as data: names, addresses, MACs, the batches and dnsmasq's configuration. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dnsmasqArgs, dnsmasqLines } from "./dnsmasq.ts";
import { checkLabName, edgeBatch, labDnsmasqConfig, labNamespacePattern, labNamespaces, planLabNetwork, routerBatch, switchBatch } from "./plan.ts";

describe("lab network plan", () => {
  test("names every namespace with the lab's name; nodes get fixed, distinct addresses and MACs", () => {
    const plan = planLabNetwork("demo", 3);
    assert.deepEqual(labNamespaces(plan), ["demo-sw", "demo-rtr", "demo-cp", "demo-node-1", "demo-node-2", "demo-node-3"]);
    assert.deepEqual(plan.nodes.map((n) => n.address), ["192.0.2.101", "192.0.2.102", "192.0.2.103"]);
    assert.deepEqual(plan.nodes.map((n) => n.nics.map((c) => c.mac)), [
      ["02:00:00:00:01:01", "02:00:00:00:02:01"],
      ["02:00:00:00:01:02", "02:00:00:00:02:02"],
      ["02:00:00:00:01:03", "02:00:00:00:02:03"],
    ]);
    assert.equal(plan.api.hostname, "api.demo.lab");
    const big = planLabNetwork("demo", 99);
    const macs = big.nodes.flatMap((n) => n.nics.map((c) => c.mac));
    assert.equal(new Set(macs).size, macs.length);
    for (const mac of macs) assert.match(mac, /^02:/, "locally administered");
    assert.equal(big.nodes.at(-1)!.address, "192.0.2.199");
    const ports = big.nodes.flatMap((n) => n.nics.map((c) => c.switchPort));
    for (const port of ports) assert.ok(port.length <= 15, `${port} fits IFNAMSIZ`);
  });

  test("refuses names that are not DNS labels and node counts out of range", () => {
    for (const bad of ["", "Demo", "-x", "x-", "a_b", "a.b", "x".repeat(33)]) assert.throws(() => checkLabName(bad), /lab name/);
    assert.throws(() => planLabNetwork("demo", 0), /1–99 nodes/);
    assert.throws(() => planLabNetwork("demo", 100), /1–99 nodes/);
  });

  test("a lab's namespace pattern matches its own namespaces only", () => {
    const p = labNamespacePattern("a");
    for (const own of ["a-sw", "a-rtr", "a-cp", "a-node-1", "a-node-42"]) assert.ok(p.test(own), own);
    for (const other of ["a-node-sw", "a-node-node-1", "a-b-sw", "a-node-1-node-1", "ab-sw", "a-node-01", "a-node-", "xa-sw", "a-sw2"]) assert.ok(!p.test(other), other);
  });

  test("the switch batch builds both bridges and one cable per NIC, the peer born in its namespace", () => {
    const plan = planLabNetwork("demo", 2);
    const lines = switchBatch(plan);
    assert.ok(lines.includes("link add br-mgmt type bridge stp_state 0 forward_delay 0"));
    assert.ok(lines.includes("link add n2-data type veth peer name eth1 address 02:00:00:00:02:02 netns demo-node-2"));
    assert.ok(lines.includes("link set n2-data master br-data up"));
    assert.ok(lines.includes("link add cp-mgmt type veth peer name eth0 address 02:00:00:00:00:02 netns demo-cp"));
    assert.equal(lines.filter((l) => l.includes(" type veth ")).length, 3 + 2 * 2);
    assert.deepEqual(routerBatch(plan).slice(1, 3), ["address add 192.0.2.1/24 dev mgmt", "address add 198.51.100.1/24 dev data"]);
    assert.ok(edgeBatch(plan).includes("route add default via 192.0.2.1 dev eth0"));
  });

  test("dnsmasq: fixed leases by MAC, router and DNS 192.0.2.1, the lab's names, no upstream", () => {
    const plan = planLabNetwork("demo", 2);
    const lines = dnsmasqLines(labDnsmasqConfig(plan, { leaseFile: "/l", pidFile: "/p" }));
    for (const expected of [
      "no-resolv",
      "interface=mgmt",
      "interface=data",
      "bind-interfaces",
      "dhcp-option=tag:main,option:router,192.0.2.1",
      "dhcp-option=tag:main,option:dns-server,192.0.2.1",
      "dhcp-host=02:00:00:00:01:02,192.0.2.102,node-2",
      "address=/localhost/127.0.0.1",
      "address=/api.demo.lab/192.0.2.2",
      "address=/node-1.demo.lab/192.0.2.101",
      "local=/#/",
    ]) {
      assert.ok(lines.includes(expected), `${expected} in\n${lines.join("\n")}`);
    }
    assert.ok(!lines.some((l) => l.startsWith("server=")));
    const args = dnsmasqArgs({ interfaces: ["eth0"], leaseFile: "/l", pidFile: "/p" });
    assert.deepEqual(args.slice(0, 3), ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv"]);
  });
});
