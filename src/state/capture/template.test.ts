import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderPolicy, renderTemplates } from "./index.ts";

const captured = {
  nic: {
    interfaces: [{ name: "eth0", mtu: 1500, "mac-address": "52:54:00:00:00:01", ipv4: { enabled: true, address: [{ ip: "10.0.0.2", "prefix-length": 24 }] } }],
  },
  dns: { "dns-resolver": { running: { server: ["10.0.0.1"] } } },
};

describe("templates", () => {
  test("a whole-string template becomes the value it refers to, whatever its type", () => {
    const rendered = renderTemplates(
      {
        interfaces: [
          {
            name: "br0",
            mtu: "{{ capture.nic.interfaces.0.mtu }}",
            "mac-address": "{{ capture.nic.interfaces.0.mac-address }}",
            ipv4: "{{ capture.nic.interfaces.0.ipv4 }}",
            bridge: { port: [{ name: "{{ capture.nic.interfaces.0.name }}" }] },
          },
        ],
        "dns-resolver": { config: "{{ capture.dns.dns-resolver.running }}" },
        routes: { config: "{{ capture.nic.interfaces.0.ipv4.address }}" },
      },
      captured,
    );
    assert.deepEqual(rendered, {
      interfaces: [
        {
          name: "br0",
          mtu: 1500,
          "mac-address": "52:54:00:00:00:01",
          ipv4: captured.nic.interfaces[0]!.ipv4,
          bridge: { port: [{ name: "eth0" }] },
        },
      ],
      "dns-resolver": { config: { server: ["10.0.0.1"] } },
      routes: { config: [{ ip: "10.0.0.2", "prefix-length": 24 }] },
    });
  });

  test("spacing inside and around the braces does not matter", () => {
    for (const template of ["{{capture.nic.interfaces.0.name}}", "  {{   capture.nic.interfaces.0.name\t}} ", "{{\ncapture.nic.interfaces.0.name\n}}"]) {
      assert.equal(renderTemplates(template, captured), "eth0", JSON.stringify(template));
    }
  });

  test("a whole capture", () => {
    assert.deepEqual(renderTemplates("{{ capture.dns }}", captured), captured.dns);
  });

  test("other strings, numbers, booleans and nulls are kept", () => {
    const state = { a: "plain", b: "{{ not a capture", c: "{ {x} }", d: 1, e: false, f: null, g: "{{", h: "a {{ b }} c" };
    assert.deepEqual(renderTemplates(state, captured), state);
  });

  test("the input is not modified and the output shares nothing with the captured states", () => {
    const desired = { interfaces: [{ name: "br0", ipv4: "{{ capture.nic.interfaces.0.ipv4 }}" }] };
    const before = structuredClone(desired);
    const rendered = renderTemplates(desired, captured) as { interfaces: { ipv4: { enabled: boolean } }[] };
    assert.deepEqual(desired, before);
    rendered.interfaces[0]!.ipv4.enabled = false;
    assert.equal(captured.nic.interfaces[0]!.ipv4.enabled, true);
  });
});

describe("renderPolicy", () => {
  test("captures then templates, returning both", () => {
    const current = {
      interfaces: [{ name: "eth1", type: "ethernet", state: "up", "mac-address": "00:00:5E:00:00:01" }],
      routes: { running: [{ destination: "0.0.0.0/0", "next-hop-interface": "eth1" }] },
    };
    const { desiredState, captured: out } = renderPolicy(
      {
        capture: {
          "default-gw": 'routes.running.destination=="0.0.0.0/0"',
          "base-iface": "interfaces.name==capture.default-gw.routes.running.0.next-hop-interface",
        },
        desiredState: {
          interfaces: [
            {
              name: "br1",
              type: "linux-bridge",
              "mac-address": "{{ capture.base-iface.interfaces.0.mac-address }}",
              bridge: { port: [{ name: "{{ capture.base-iface.interfaces.0.name }}" }] },
            },
          ],
        },
      },
      current,
    );
    assert.deepEqual(desiredState, {
      interfaces: [{ name: "br1", type: "linux-bridge", "mac-address": "00:00:5E:00:00:01", bridge: { port: [{ name: "eth1" }] } }],
    });
    assert.deepEqual(out, { "default-gw": { routes: current.routes }, "base-iface": { interfaces: current.interfaces } });
  });

  test("a policy without captures renders as is", () => {
    assert.deepEqual(renderPolicy({ desiredState: { interfaces: [] } }, {}), { desiredState: { interfaces: [] }, captured: {} });
  });
});
