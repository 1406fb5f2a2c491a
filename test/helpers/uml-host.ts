/** Hosts and helpers shared by the tests that run inside the UML guest (test/uml-suite). */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { defaultProbeSettings } from "../../src/probe/types.ts";
import { loadDesired } from "../../src/state/load.ts";
import { cable, TestNetns } from "./netns.ts";

/** A desired state from YAML, asserting it loads without errors. */
export const state = (yaml: string) => {
  const loaded = loadDesired([{ file: "t.yml", text: yaml }]);
  assert.deepEqual(loaded.issues.filter((i) => i.severity === "error"), []);
  return loaded.state!;
};

/** The default probes with a gateway timeout, DNS off (these hosts have no resolver). */
export const probes = (timeoutSeconds = 10) => {
  const p = defaultProbeSettings();
  p.gateway.timeoutMs = timeoutSeconds * 1000;
  p.dns.enabled = false;
  return p;
};

/** host: eth0 (192.0.2.10/24, default via .1) and eth1, both cabled to a switch in `gw` that holds 192.0.2.1. */
export async function twoNicHost(t: TestContext, label: string) {
  const gw = await TestNetns.create(`${label}gw`, t);
  const host = await TestNetns.create(label, t);
  await cable(host, "eth0", gw, "ga");
  await cable(host, "eth1", gw, "gb");
  await gw.batch(["link add sw type bridge", "link set ga master sw", "link set gb master sw", "address add 192.0.2.1/24 dev sw", "link set ga up", "link set gb up", "link set sw up"]);
  await host.batch(["link set eth0 up", "link set eth1 up", "address add 192.0.2.10/24 dev eth0", "route add default via 192.0.2.1 dev eth0"]);
  return { gw, host, backend: new KernelBackend({ netns: host.name, stateDir: `/run/nodenet/netns-${host.name}`, recordFile: null }) };
}
