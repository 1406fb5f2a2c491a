/**
 * The layering docs/architecture.md promises, checked on the source: `state/`
 * is pure and speaks no kernel syntax; `host/` does not reach up into the
 * transaction or the cluster. Test files are exempt (a unit test may drive a
 * pure function with a backend).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const SRC = new URL(".", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(SRC, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => relative(SRC, join(e.parentPath, e.name)));
}

const importsOf = (file: string) => [...readFileSync(join(SRC, file), "utf8").matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
const resolved = (file: string, spec: string) => (spec.startsWith(".") ? relative(SRC, join(SRC, file, "..", spec)) : spec);

test("state/ imports nothing with I/O: only itself, zod, yaml and the error kinds", () => {
  const bad = sources("state").flatMap((file) =>
    importsOf(file)
      .map((spec) => resolved(file, spec))
      .filter((target) => !(target.startsWith("state/") || target === "zod" || target === "yaml" || target === "errors.ts"))
      .map((target) => `${file} imports ${target}`),
  );
  assert.deepEqual(bad, []);
});

test("host/ does not import txn/, cluster/, lab/ or cli/", () => {
  const bad = sources("host").flatMap((file) =>
    importsOf(file)
      .map((spec) => resolved(file, spec))
      .filter((target) => /^(txn|cluster|lab|cli)\//.test(target))
      .map((target) => `${file} imports ${target}`),
  );
  assert.deepEqual(bad, []);
});

/**
 * Words only a kernel backend should need: iproute2 commands and keywords,
 * sysctl paths, kernel option names and their units. The state model says
 * what to change; src/host/kernel/ says how.
 */
const KERNEL_VOCABULARY = [
  /\bip (?:-[46] )?(?:link|addr|address|route|rule|monitor|netns)\b/,
  /\bbridge (?:vlan|link|fdb)\b/,
  /\bip -(?:batch|json)\b|\bip -[46dj]+\b/,
  /\biproute2?\b/,
  /\bsysctl\b|\/proc\/sys|\bdisable_ipv6\b|\baccept_ra\b|net[./]ipv[46][./]conf/,
  /\bnomaster\b|\bmaster\b|\b(?:bridge|bond)_slave\b/,
  /\bstp_state\b|\bforward_delay\b|\bhello_time\b|\bmax_age\b|\bageing_time\b|\bmcast_\w+|\bgroup_fwd_mask\b|\bvlan_filtering\b/,
  /\bvalid_lft\b|\bpreferred_lft\b|\bdstport\b|\bnolearning\b|\bnopromisc\b|\bpromisc\b|\bproto (?:static|kernel|dhcp)\b/,
  /\bcentiseconds?\b|\bjiffies\b/,
  /\bcommandOf\b|\blinkAddArgs\b|\brouteArgs\b/,
];

test("state/ holds no kernel syntax (iproute2 words, sysctl names, kernel option names and units)", () => {
  const found: string[] = [];
  for (const file of sources("state")) {
    readFileSync(join(SRC, file), "utf8")
      .split("\n")
      .forEach((line, i) => {
        for (const word of KERNEL_VOCABULARY) {
          const match = word.exec(line);
          if (match) found.push(`${file}:${i + 1}: "${match[0]}" in ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(found, [], "kernel syntax belongs in src/host/kernel/");
});

test("the vocabulary check catches what it is meant to", () => {
  for (const line of ['["link", "set", "dev", name, "master", m]', "ip link add br0 type bridge", "net/ipv6/conf/eth0/disable_ipv6", "forward_delay: s * 100 // centiseconds"]) {
    assert.ok(KERNEL_VOCABULARY.some((w) => w.test(line)), line);
  }
});
