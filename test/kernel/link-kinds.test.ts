/**
 * Link kinds on the running kernel (the host's, which lacks some drivers;
 * UML's full kernel is covered by test/uml-suite/link-kinds.test.ts): a kind
 * the kernel has is created, read back and removed; a kind it lacks is
 * refused as unsupported (exit 2) naming the interface, the kind and the
 * kernel module, and the namespace is left exactly as before. Which of the two
 * applies is asked of the kernel itself first, so the test holds on any kernel.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodenet, stateFiles } from "../helpers/cli.ts";
import { TestNetns } from "../helpers/netns.ts";
import { kernelSnapshot } from "../helpers/snapshot.ts";

/** Whether the kernel can make a link of `kind` over a veth (asked in a throwaway namespace). */
async function kernelHas(kind: string, words: string[]): Promise<boolean> {
  const ns = await TestNetns.create("probe");
  try {
    await ns.ip(["link", "add", "p0", "type", "veth", "peer", "name", "p1"]);
    return await ns.ip(["link", "add", "link", "p0", "name", "k0", "type", kind, ...words]).then(
      () => true,
      (error: { stderr?: string }) => {
        if (/Unknown device type/.test(error.stderr ?? "")) return false;
        throw error;
      },
    );
  } finally {
    await ns.delete();
  }
}

interface Case {
  type: string;
  /** iproute2's kind and the words it needs (for the probe). */
  kernel: [string, string[]];
  module: string;
  /** The interface, as YAML, on base v0. */
  yaml: string;
  /** What must be read back when the kernel has the kind. */
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  { type: "dummy", kernel: ["dummy", []], module: "dummy", yaml: "{name: k0, type: dummy, state: up}", expect: {} },
  {
    type: "ipvlan",
    kernel: ["ipvlan", ["mode", "l2"]],
    module: "ipvlan",
    yaml: "{name: k0, type: ipvlan, state: up, ipvlan: {base-iface: v0, mode: l2, private: true}}",
    expect: { ipvlan: { "base-iface": "v0", mode: "l2", private: true, vepa: false } },
  },
  {
    type: "mac-vtap",
    kernel: ["macvtap", ["mode", "bridge"]],
    module: "macvtap",
    yaml: "{name: k0, type: mac-vtap, state: up, mac-vtap: {base-iface: v0, mode: bridge, accept-all-mac: true}}",
    expect: { "mac-vtap": { "base-iface": "v0", mode: "bridge", promiscuous: true } },
  },
];

describe("link kinds on this kernel", () => {
  for (const c of CASES) {
    test(`${c.type}: created and read back where the kernel has it, refused as unsupported naming the module where it does not`, async (t) => {
      const has = await kernelHas(...c.kernel);
      const ns = await TestNetns.create(c.type, t);
      await ns.ip(["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
      await ns.ip(["link", "set", "v0", "up"]);
      const before = await kernelSnapshot(ns);
      const [file] = stateFiles(t, `interfaces:\n- ${c.yaml}\n`);
      const result = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!], { timeoutMs: 60_000 });
      if (!has) {
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, new RegExp(`k0: ${c.type} interfaces are not supported by this kernel \\(kernel module ${c.module} missing or not loadable\\)`));
        assert.match(result.stderr, /rolled back/);
        assert.equal(await kernelSnapshot(ns), before, "the namespace is as before");
        return;
      }
      assert.equal(result.code, 0, result.stderr);
      const shown = await nodenet(["show", "--netns", ns.name, "--json"]);
      const k0 = (JSON.parse(shown.stdout) as { interfaces: Record<string, unknown>[] }).interfaces.find((i) => i.name === "k0");
      assert.equal(k0?.type, c.type);
      for (const [key, value] of Object.entries(c.expect)) assert.deepEqual(k0?.[key], value, key);
      const again = await nodenet(["apply", "--netns", ns.name, "--no-probes", file!]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /no changes: the host already has this state/, "re-applying changes nothing");
      const [absent] = stateFiles(t, "interfaces:\n- {name: k0, state: absent}\n");
      assert.equal((await nodenet(["apply", "--netns", ns.name, "--no-probes", absent!])).code, 0);
      assert.equal(await kernelSnapshot(ns), before, "removed again");
    });
  }
});
