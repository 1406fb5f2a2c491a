/**
 * The compatibility bar: every nmstate example state and every
 * kubernetes-nmstate example policy is either accepted (and valid against a
 * host that has the NICs it names) or refused with `unsupported` errors at
 * exactly the listed fields. Read in place from ../shared/conformance.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatIssue, formatPath } from "./issues.ts";
import { loadDesired } from "./load.ts";
import type { NetworkState } from "./schema/state.ts";
import { validate } from "./validate/index.ts";
import { CONFORMANCE } from "../../test/helpers/conformance.ts";

const SHARED = CONFORMANCE;
const NMSTATE = join(SHARED, "nmstate/examples");
const KNMSTATE = join(SHARED, "kubernetes-nmstate/examples");

const ovs = (i: number) => `interfaces[${i}].type`;
/** File → the fields refused as unsupported (everything else must be accepted). */
const UNSUPPORTED: Record<string, string[]> = {
  "eth1_with_ieee_802_1x.yml": ['interfaces[0]["802.1x"]'],
  "eth1_with_ieee_802_1x_peap.yml": ['interfaces[0]["802.1x"]'],
  "eth1_with_sriov.yml": ["interfaces[0].ethernet.sr-iov"],
  "hsr0_absent.yml": [ovs(0)],
  "hsr0_up.yml": [ovs(0)],
  "infiniband_pkey_ipoib_create.yml": [ovs(0)],
  "infiniband_pkey_ipoib_delete.yml": [ovs(0)],
  "ipsec_psk.yml": [ovs(0)],
  "ipsec_x509.yml": [ovs(0)],
  "macsec0_absent.yml": [ovs(0)],
  "macsec0_up.yml": [ovs(0)],
  "ovsbridge_bond_create.yml": [ovs(0)],
  "ovsbridge_create.yml": [ovs(1), ovs(2)],
  "ovsbridge_delete.yml": [ovs(0)],
  "ovsbridge_dpdk_absent.yml": [ovs(0), ovs(1)],
  "ovsbridge_dpdk_create.yml": ["ovs-db", ovs(0), ovs(1)],
  "ovsbridge_patch_create.yml": [ovs(0), ovs(1), ovs(2), ovs(3)],
  "ovsbridge_vlan_port.yml": [ovs(0), ovs(1), ovs(2)],
  // The capture selects every ethernet that is up: three on HOST.
  "lldp.yaml": [0, 1, 2].map((i) => `spec.desiredState.interfaces[${i}].lldp.enabled`),
  "ovs-bridge-iface.yaml": ["spec.desiredState.interfaces[0].type", "spec.desiredState.interfaces[1].type"],
  "ovs-bridge.yaml": ["spec.desiredState.interfaces[0].type"],
};

/** A host with the NICs the examples name, its default route on eth0. */
const HOST: NetworkState = {
  interfaces: ["eth0", "eth1", "eth2"].map((name, i) => ({
    name,
    type: "ethernet" as const,
    state: "up" as const,
    "mac-address": `02:00:00:00:00:0${i}`,
    ipv4: name === "eth0" ? { enabled: true, dhcp: false, address: [{ ip: "203.0.113.10", "prefix-length": 24 }] } : { enabled: false },
    ipv6: { enabled: false },
  })),
  routes: { running: [{ destination: "0.0.0.0/0", "next-hop-address": "203.0.113.1", "next-hop-interface": "eth0", "table-id": 254 }], config: [] },
};

function check(dir: string, file: string): void {
  const text = readFileSync(join(dir, file), "utf8");
  const result = loadDesired([{ file, text }], { current: () => HOST });
  const expected = UNSUPPORTED[file];
  if (expected) {
    assert.equal(result.state, undefined, `${file} must be refused`);
    for (const issue of result.issues) assert.equal(issue.kind, "unsupported", `${file}: only unsupported errors expected, got ${formatIssue(issue)}`);
    assert.deepEqual(result.issues.map((i) => formatPath(i.path)).sort(), [...expected].sort());
    for (const issue of result.issues) assert.ok(issue.source && issue.source.line > 0, `${file}: issue has a line number`);
    return;
  }
  assert.deepEqual(result.issues.map(formatIssue), [], `${file} must parse cleanly`);
  assert.ok(result.state, `${file} parsed`);
  const validation = validate(result.state, HOST);
  const errors = validation.issues.filter((i) => i.severity === "error");
  assert.deepEqual(errors.map(formatIssue), [], `${file} must be valid on a host with eth0-eth2`);
}

for (const [dir, label] of [[NMSTATE, "nmstate"], [KNMSTATE, "kubernetes-nmstate"]] as const) {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  test(`${label} examples: ${files.length} files found`, () => assert.ok(files.length > 10));
  for (const file of files) {
    test(`${label} ${file}: ${UNSUPPORTED[file] ? `refused as unsupported at ${UNSUPPORTED[file].join(", ")}` : "accepted"}`, () => check(dir, file));
  }
}

test("every file named in the unsupported table exists (the table cannot rot)", () => {
  const all = new Set([...readdirSync(NMSTATE), ...readdirSync(KNMSTATE)]);
  for (const file of Object.keys(UNSUPPORTED)) assert.ok(all.has(file), file);
});
