/**
 * Several routes of one destination, table and metric (nmstate's ECMP) plan
 * as one multipath route holding every member of the slot, and the memory
 * backend, applying that plan, ends with one entry per nexthop as the kernel
 * reader reports them — so a second plan is empty.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryBackend } from "../memory/backend.ts";
import { loadDesired } from "../../state/load.ts";
import { mergeStates } from "../../state/merge/index.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { plan } from "../../state/plan/index.ts";
import { describe } from "./commands.ts";

const state = (yaml: string): NetworkState => {
  const loaded = loadDesired([{ file: "t.yml", text: yaml }]);
  assert.deepEqual(loaded.issues, []);
  return loaded.state!;
};

const HOST = state(`interfaces:
- {name: eth1, type: ethernet, state: up, ipv4: {enabled: true, dhcp: false, address: [{ip: 192.0.2.251, prefix-length: 24}]}}
`);
const ECMP = `routes:
  config:
  - {destination: 198.51.100.0/24, metric: 150, next-hop-address: 192.0.2.1, next-hop-interface: eth1, weight: 1}
  - {destination: 198.51.100.0/24, metric: 150, next-hop-address: 192.0.2.2, next-hop-interface: eth1, weight: 256}
`;

test("ECMP routes: one ip route replace with a nexthop each; a member removed rewrites the slot with the rest", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-ecmp-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const backend = new MemoryBackend(HOST, { stateDir: dir });
  const step = async (yaml: string) => {
    const ops = plan(mergeStates(state(yaml), (await backend.read()).state));
    await backend.execute(ops);
    return ops;
  };
  const first = await step(ECMP);
  assert.deepEqual(first.map(describe), [
    "ip route replace 198.51.100.0/24 table 254 metric 150 proto static nexthop via 192.0.2.1 dev eth1 weight 1 nexthop via 192.0.2.2 dev eth1 weight 256",
  ]);
  assert.deepEqual(await step(ECMP), []);
  const removal = await step("routes:\n  config:\n  - {destination: 198.51.100.0/24, next-hop-address: 192.0.2.2, state: absent}\n");
  assert.deepEqual(removal.map(describe), ["ip route replace 198.51.100.0/24 via 192.0.2.1 dev eth1 table 254 metric 150 proto static"]);
  const routes = (await backend.read()).state.routes?.config ?? [];
  assert.deepEqual(routes.map((r) => r["next-hop-address"]), ["192.0.2.1"]);
  assert.deepEqual(await step(ECMP.split("\n").slice(0, 3).join("\n") + "\n"), [], "the remaining member declared again (weight 1) is already there");
});
