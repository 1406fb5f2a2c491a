/**
 * nmstate's numeric and word spellings of bond options and `vrf.ports`,
 * applied on a full kernel (runs inside the User-Mode Linux guest): the
 * kernel, read with `ip -d -json` rather than through nodenet, holds what each
 * spelling names, and a second apply changes nothing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { applyState } from "../../src/txn/transaction.ts";
import { TestNetns } from "../helpers/netns.ts";
import { state } from "../helpers/uml-host.ts";

assert.equal(process.env.NODENET_UML, "1", "this suite runs inside User-Mode Linux: npm test runs it there (test/uml/suite.ts)");

test("bond options by number and word, primary_reselect and min_links outside their modes, vrf.ports: applied as named, re-applied as a no-op", async (t) => {
  const host = await TestNetns.create("spellings", t);
  await host.batch(["link add s1 type veth peer name s1p", "link add s2 type veth peer name s2p", "link add s3 type dummy"]);
  const backend = new KernelBackend({ netns: host.name, stateDir: `/run/nodenet/netns-${host.name}` });
  const desired = state(`
interfaces:
- name: bond3
  type: bond
  state: up
  link-aggregation:
    mode: '4'
    ports: [s1, s2]
    options: {miimon: '100', lacp_rate: 1, ad_select: '2', xmit_hash_policy: 1, all_slaves_active: delivered, primary_reselect: 2, min_links: 0, arp_all_targets: 1}
- {name: vrf3, type: vrf, state: up, vrf: {route-table-id: 103, ports: [s3]}}
- {name: s3, type: dummy, state: up}
`);
  await applyState(backend, desired, {});
  const [bond] = await host.ipJson<{ linkinfo: { info_data: Record<string, unknown> } }[]>(["-d", "link", "show", "bond3"]);
  const data = bond!.linkinfo.info_data;
  assert.deepEqual(
    [data.mode, data.ad_lacp_rate, data.ad_select, data.xmit_hash_policy, data.all_slaves_active, data.primary_reselect, data.arp_all_targets],
    ["802.3ad", "fast", "count", "layer3+4", 1, "failure", "all"],
  );
  const masters = await host.ipJson<{ ifname: string; master?: string }[]>(["link", "show"]);
  assert.deepEqual(masters.filter((l) => ["s1", "s2", "s3"].includes(l.ifname)).map((l) => [l.ifname, l.master]), [["s1", "bond3"], ["s2", "bond3"], ["s3", "vrf3"]]);
  assert.equal((await applyState(backend, desired, {})).changed, false, "a second apply changes nothing");
});
