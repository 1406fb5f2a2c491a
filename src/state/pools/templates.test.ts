import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatIssue } from "../issues.ts";
import { loadDesired } from "../load.ts";
import { parsePools } from "./pool.ts";
import { placementIssues, poolsReferenced, renderPlacement, usesPlacementTemplates, type PlacementValues } from "./templates.ts";

const values: PlacementValues = {
  node: { name: "node-3", labels: { rack: "r7", "topology.kubernetes.io/zone": "z1" }, annotations: { "example.com/vlan": "42" } },
  pools: { storage: { address: "198.51.100.4", prefixLength: 29, gateway: "198.51.100.1" } },
};

const bridge = {
  interfaces: [
    {
      name: "br-storage",
      type: "linux-bridge",
      description: 'rack {{ node.labels["rack"] }} in {{ node.labels["topology.kubernetes.io/zone"] }}',
      ipv4: { enabled: true, address: [{ ip: "{{ pool.storage }}", "prefix-length": "{{ pool.storage.prefix-length }}" }] },
      bridge: { port: [{ name: "eth1" }] },
    },
  ],
  routes: { config: [{ destination: "203.0.113.0/24", "next-hop-address": "{{ pool.storage.gateway }}", "next-hop-interface": "br-storage" }] },
  hostname: { config: "{{ node.name }}" },
};

describe("pool and node templates", () => {
  test("whole-string templates become typed values; embedded ones their text; the input is unchanged", () => {
    const before = JSON.stringify(bridge);
    const rendered = renderPlacement(bridge, values);
    assert.ok(rendered.ok);
    const r = rendered.value as typeof bridge;
    assert.deepEqual(r.interfaces[0]!.ipv4.address, [{ ip: "198.51.100.4", "prefix-length": 29 }]);
    assert.equal(r.interfaces[0]!.description, "rack r7 in z1");
    assert.equal(r.routes.config[0]!["next-hop-address"], "198.51.100.1");
    assert.equal(r.hostname.config, "node-3");
    assert.equal(JSON.stringify(bridge), before);
    assert.deepEqual(poolsReferenced(bridge), ["storage"]);
  });

  test("a state without pool or node templates is left exactly as it was (upstream policies, capture templates)", () => {
    const upstream = { interfaces: [{ name: "br1", type: "linux-bridge", ipv4: { address: [{ ip: "{{ capture.nic.interfaces.0.ipv4.address.0.ip }}", "prefix-length": 24 }] } }] };
    const rendered = renderPlacement(upstream, values);
    assert.ok(rendered.ok);
    assert.deepEqual(rendered.value, upstream);
    assert.equal(usesPlacementTemplates(upstream), false);
  });

  test("problems name the field: missing label, unknown pool (did you mean), no gateway, malformed template", () => {
    const state = {
      interfaces: [
        { name: "a", description: '{{ node.labels["row"] }}', ipv4: { address: [{ ip: "{{ pool.storag }}", "prefix-length": 29 }] } },
        { name: "b", description: "{{ node.label.rack }}" },
      ],
    };
    const rendered = renderPlacement(state, { ...values, pools: { storage: { address: "198.51.100.4", prefixLength: 29 } } });
    assert.ok(!rendered.ok);
    assert.deepEqual(rendered.issues.map(formatIssue).sort(), [
      'error: interfaces[0].description: node node-3 has no label "row" (set it: kubectl label node node-3 row=VALUE)',
      "error: interfaces[0].ipv4.address[0].ip: unknown address pool 'storag' (did you mean 'storage'?)",
      'error: interfaces[1].description: "{{ node.label.rack }}" is not a template nodenet knows (the forms are pool.NAME, pool.NAME.prefix-length, pool.NAME.gateway, node.name, node.labels["KEY"], node.annotations["KEY"])',
    ]);
    const noGateway = renderPlacement({ routes: { config: [{ "next-hop-address": "{{ pool.storage.gateway }}" }] } }, { ...values, pools: { storage: { address: "198.51.100.4", prefixLength: 29 } } });
    assert.ok(!noGateway.ok);
    assert.equal(formatIssue(noGateway.issues[0]!), "error: routes.config[0].next-hop-address: address pool 'storage' has no gateway (set spec.addressPools.storage.gateway)");
  });

  test("a pool must fit where it is used: family, prefix length, declared", () => {
    const { pools } = parsePools({ storage: { cidr: "198.51.100.0/29", gateway: "198.51.100.1" }, v6: { cidr: "2001:db8:7::/64" } });
    const use = (section: string, pool: string, prefix: unknown) => ({ interfaces: [{ name: "br", [section]: { address: [{ ip: `{{ pool.${pool} }}`, "prefix-length": prefix }] } }] });
    assert.deepEqual(placementIssues(use("ipv4", "storage", 29), pools), []);
    assert.deepEqual(placementIssues(use("ipv4", "storage", 24), pools), [], "a pool inside a larger subnet fits");
    assert.deepEqual(placementIssues(use("ipv4", "storage", "{{ pool.storage.prefix-length }}"), pools), []);
    assert.deepEqual(placementIssues(use("ipv4", "storage", 30), pools).map(formatIssue), [
      'error: interfaces[0].ipv4.address[0].prefix-length: address pool storage (198.51.100.0/29) does not fit a /30 subnet: nodes would get addresses in different /30 subnets and some could not reach the gateway 198.51.100.1 (use prefix-length 29 or shorter, or "{{ pool.storage.prefix-length }}")',
    ]);
    assert.deepEqual(placementIssues(use("ipv6", "storage", 64), pools).map(formatIssue), [
      "error: interfaces[0].ipv6.address[0].ip: address pool storage (198.51.100.0/29) is IPv4 but this is an ipv6 address (use an IPv6 pool here)",
    ]);
    assert.deepEqual(placementIssues(use("ipv4", "v6", 24), pools).map((i) => i.path.join(".")), ["interfaces.0.ipv4.address.0.ip"]);
    assert.deepEqual(placementIssues(use("ipv4", "nope", 24), pools).map(formatIssue), ["error: interfaces[0].ipv4.address[0].ip: unknown address pool 'nope' (spec.addressPools has: storage, v6)"]);
  });

  test("nodenet validate/apply of a policy file with per-node templates says why a single host cannot render it, at the template", () => {
    const text = JSON.stringify({ apiVersion: "nmstate.io/v1", kind: "NodeNetworkConfigurationPolicy", metadata: { name: "p" }, spec: { addressPools: { storage: { cidr: "198.51.100.0/29" } }, desiredState: bridge } });
    const loaded = loadDesired([{ file: "p.yaml", text }]);
    assert.equal(loaded.state, undefined);
    assert.equal(loaded.issues.length, 1);
    const [issue] = loaded.issues;
    assert.deepEqual(issue!.path, ["spec", "desiredState", "interfaces", 0, "description"]);
    assert.match(issue!.message, /^a \{\{ pool\.… \}\} or \{\{ node\.… \}\} template is filled in per node by the cluster/);
  });
});
