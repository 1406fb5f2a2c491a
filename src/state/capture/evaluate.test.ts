import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CaptureError, evaluateCaptures } from "./index.ts";

const eth0 = {
  name: "eth0",
  type: "ethernet",
  state: "up",
  mtu: 1500,
  description: "primary",
  "mac-address": "52:54:00:00:00:01",
  ipv4: { enabled: true, dhcp: false, address: [{ ip: "10.0.0.2", "prefix-length": 24 }, { ip: "10.0.1.2", "prefix-length": 24 }] },
  lldp: { enabled: false },
};
const eth1 = { name: "eth1", type: "ethernet", state: "down", mtu: 9000, ipv4: { enabled: false } };
const br0 = { name: "br0", type: "linux-bridge", state: "up", bridge: { port: [{ name: "eth0" }] } };
const bond0 = { name: "bond0", type: "bond", state: "up", "link-aggregation": { mode: "active-backup", port: ["eth1"] } };
const defaultRoute = { destination: "0.0.0.0/0", "next-hop-interface": "eth0", "next-hop-address": "10.0.0.1", "table-id": 254 };
const subnetRoute = { destination: "10.0.0.0/24", "next-hop-interface": "eth0", "table-id": 254 };

const current = {
  interfaces: [eth0, eth1, br0, bond0],
  routes: { running: [defaultRoute, subnetRoute], config: [defaultRoute] },
  "dns-resolver": { running: { server: ["10.0.0.1"], search: ["example.com"] }, config: {} },
  hostname: { running: "node1", config: "node1" },
};

/** Evaluates a single expression against `current`. */
function one(expression: string, state: unknown = current): unknown {
  return evaluateCaptures({ it: expression }, state).it;
}

describe("filter", () => {
  test("keeps matching list entries and only the path down to the list", () => {
    assert.deepEqual(one('routes.running.destination=="0.0.0.0/0"'), { routes: { running: [defaultRoute] } });
    assert.deepEqual(one('interfaces.type == "linux-bridge"'), { interfaces: [br0] });
  });

  test("whitespace, folded lines, tabs, non-breaking spaces and single quotes", () => {
    const expected = { routes: { running: [defaultRoute] } };
    for (const expression of [
      'routes.running.destination == "0.0.0.0/0"',
      'routes.running.destination ==\n  "0.0.0.0/0"',
      '  routes.running.destination\t==\t"0.0.0.0/0"\n',
      "routes.running.destination\u00a0==\u00a0'0.0.0.0/0'",
    ]) {
      assert.deepEqual(one(expression), expected, JSON.stringify(expression));
    }
  });

  test("numbers and booleans; scalars compare by their text, as in nmstate", () => {
    assert.deepEqual(one("interfaces.mtu == 1500"), { interfaces: [eth0] });
    assert.deepEqual(one('interfaces.mtu == "9000"'), { interfaces: [eth1] });
    assert.deepEqual(one("interfaces.ipv4.enabled == true"), { interfaces: [eth0] });
    assert.deepEqual(one("interfaces.ipv4.enabled==false"), { interfaces: [eth1] });
  });

  test("a list inside the entries means any element; the entry is kept whole", () => {
    assert.deepEqual(one('interfaces.ipv4.address.ip == "10.0.1.2"'), { interfaces: [eth0] });
    assert.deepEqual(one('interfaces.bridge.port.name == "eth0"'), { interfaces: [br0] });
    assert.deepEqual(one('interfaces.link-aggregation.port == "eth1"'), { interfaces: [bond0] });
  });

  test("a list at the end of the path filters its own elements", () => {
    const state = { "dns-resolver": { running: { search: ["a.example", "b.example"], server: ["192.0.2.1"] } } };
    assert.deepEqual(one('dns-resolver.running.search == "b.example"', state), { "dns-resolver": { running: { search: ["b.example"] } } });
  });

  test("!= keeps entries that have the property with another value", () => {
    assert.deepEqual(one('interfaces.type != "ethernet"'), { interfaces: [br0, bond0] });
    assert.deepEqual(one('routes.running.destination!="0.0.0.0/0"'), { routes: { running: [subnetRoute] } });
    // Entries without the property match neither == nor != (as in nmpolicy).
    assert.deepEqual(one('interfaces.description != "primary"'), { interfaces: [] });
  });

  test("null matches a missing property", () => {
    assert.deepEqual(one("interfaces.description == null"), { interfaces: [eth1, br0, bond0] });
    assert.deepEqual(one("interfaces.description != null"), { interfaces: [eth0] });
  });

  test("matching nothing is not an error: the list comes back empty", () => {
    assert.deepEqual(one('interfaces.type == "vlan"'), { interfaces: [] });
    assert.deepEqual(one('routes.config.next-hop-interface == "eth9"'), { routes: { config: [] } });
  });

  test("a path that is not in the state captures nothing", () => {
    assert.deepEqual(one('routes.badfield.next-hop-interface == "eth0"'), {});
    assert.deepEqual(one('interfaces.type == "ethernet"', {}), {});
  });

  test("a path without lists keeps the object holding the value", () => {
    assert.deepEqual(one('hostname.running == "node1"'), { hostname: current.hostname });
    assert.deepEqual(one('hostname.running == "node2"'), {});
  });

  test("comparing with another capture's value, whatever the order of the captures", () => {
    const captured = evaluateCaptures(
      {
        "base-iface": "interfaces.name==capture.default-gw.routes.running.0.next-hop-interface",
        "default-gw": 'routes.running.destination=="0.0.0.0/0"',
      },
      current,
    );
    assert.deepEqual(Object.keys(captured), ["base-iface", "default-gw"]);
    assert.deepEqual(captured["base-iface"], { interfaces: [eth0] });
  });

  test("a capture's value can be an object", () => {
    const captured = evaluateCaptures(
      { first: 'interfaces.name == "eth0"', same: "interfaces.ipv4 == capture.first.interfaces.0.ipv4" },
      current,
    );
    assert.deepEqual(captured.same, { interfaces: [eth0] });
  });
});

describe("input from another capture", () => {
  test("`capture.x | expr` and `capture.x.path op value` filter the captured state", () => {
    const captured = evaluateCaptures(
      {
        ethernets: 'interfaces.type=="ethernet"',
        piped: 'capture.ethernets | interfaces.state=="up"',
        prefixed: 'capture.ethernets.interfaces.state=="up"',
        copied: "capture.ethernets",
        projected: "capture.ethernets.interfaces.name",
      },
      current,
    );
    assert.deepEqual(captured.piped, { interfaces: [eth0] });
    assert.deepEqual(captured.prefixed, { interfaces: [eth0] });
    assert.deepEqual(captured.copied, { interfaces: [eth0, eth1] });
    assert.deepEqual(captured.projected, { interfaces: [{ name: "eth0" }, { name: "eth1" }] });
  });
});

describe("replace", () => {
  test("sets the property in every entry, creating what is missing", () => {
    const captured = evaluateCaptures(
      { ethernets: 'interfaces.type=="ethernet"', lldp: "capture.ethernets | interfaces.lldp.enabled:=true" },
      current,
    );
    assert.deepEqual(captured.lldp, {
      interfaces: [
        { ...eth0, lldp: { enabled: true } },
        { ...eth1, lldp: { enabled: true } },
      ],
    });
  });

  test("returns the whole input with the change", () => {
    const replaced = one('routes.running.next-hop-interface := "br1"') as typeof current;
    assert.deepEqual(replaced.routes.running.map((r) => r["next-hop-interface"]), ["br1", "br1"]);
    assert.deepEqual(replaced.routes.config, current.routes.config);
    assert.deepEqual(replaced.interfaces, current.interfaces);
  });

  test("values: strings, bare words, numbers, other captures' values", () => {
    const captured = evaluateCaptures(
      {
        eth1: 'interfaces.name == "eth1"',
        word: "capture.eth1 | interfaces.state := down",
        number: "capture.eth1 | interfaces.mtu := 1400",
        quoted: "capture.eth1 | interfaces.mtu := '1400'",
        object: "capture.eth1 | interfaces.ipv4 := capture.eth1.interfaces.0.ipv4",
        list: 'capture.eth1 | interfaces.ipv4.address := capture.addr.interfaces.0.ipv4.address',
        addr: 'interfaces.name == "eth0"',
      },
      current,
    );
    const first = (name: string) => (captured[name] as { interfaces: Record<string, unknown>[] }).interfaces[0]!;
    assert.equal(first("word").state, "down");
    assert.equal(first("number").mtu, 1400);
    assert.equal(first("quoted").mtu, "1400");
    assert.deepEqual(first("object").ipv4, eth1.ipv4);
    assert.deepEqual(first("list").ipv4, { enabled: false, address: eth0.ipv4.address });
  });

  test(":= null removes the property", () => {
    const captured = evaluateCaptures(
      { eth0: 'interfaces.name=="eth0"', bare: "capture.eth0 | interfaces.lldp := null", nested: "capture.eth0 | interfaces.lldp.enabled := NULL_IS_NOT_NULL" },
      current,
    );
    const bare = (captured.bare as { interfaces: Record<string, unknown>[] }).interfaces[0]!;
    assert.equal(Object.hasOwn(bare, "lldp"), false);
    // Only lower-case `null` is the null literal; anything else is a word.
    assert.deepEqual((captured.nested as { interfaces: { lldp: unknown }[] }).interfaces[0]!.lldp, { enabled: "NULL_IS_NOT_NULL" });
    const missing = one("interfaces.ethernet.sr-iov := null") as { interfaces: unknown[] };
    assert.deepEqual(missing.interfaces, current.interfaces);
  });
});

describe("path only", () => {
  test("keeps only what lies at the path", () => {
    assert.deepEqual(one("dns-resolver.running"), { "dns-resolver": { running: current["dns-resolver"].running } });
    assert.deepEqual(one("interfaces.lldp"), { interfaces: [{ lldp: eth0.lldp }] });
    assert.deepEqual(one("nothing.here"), {});
  });
});

describe("cache", () => {
  test("a cached capture is used as is and its expression is not even parsed", () => {
    const cached = { routes: { running: [subnetRoute] } };
    const captured = evaluateCaptures(
      {
        gw: "override me with the cache",
        iface: "interfaces.name == capture.gw.routes.running.0.next-hop-interface",
      },
      current,
      { gw: cached, unrelated: { interfaces: [] } },
    );
    assert.deepEqual(Object.keys(captured), ["gw", "iface"]);
    assert.deepEqual(captured.gw, cached);
    assert.notEqual(captured.gw, cached);
    assert.deepEqual(captured.iface, { interfaces: [eth0] });
  });

  test("a cached null (an empty capture stored by nmpolicy) is an empty state", () => {
    assert.deepEqual(evaluateCaptures({ gw: 'routes.running.destination=="0.0.0.0/0"' }, current, { gw: null }).gw, {});
  });
});

describe("purity", () => {
  test("the current state is not modified and results share no objects with it", () => {
    const before = structuredClone(current);
    const captured = evaluateCaptures(
      { all: 'interfaces.type != "none"', changed: "capture.all | interfaces.lldp.enabled := true", dns: "dns-resolver.running" },
      current,
    );
    assert.deepEqual(current, before);
    const all = captured.all as { interfaces: { name: string }[] };
    all.interfaces[0]!.name = "mutated";
    (captured.dns as { "dns-resolver": { running: { server: string[] } } })["dns-resolver"].running.server.push("x");
    assert.deepEqual(current, before);
  });

  test("no captures, no results", () => {
    assert.deepEqual(evaluateCaptures({}, current), {});
  });

  test("the current state must be an object", () => {
    assert.throws(
      () => evaluateCaptures({ x: "interfaces" }, ["not", "a", "state"]),
      (error: unknown) => error instanceof CaptureError && error.issues[0]!.code === "invalid-input",
    );
  });
});
