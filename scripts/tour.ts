/**
 * The CLI tour on throwaway namespaces: a "node" with eth0 (address and
 * default route via a "gateway" namespace) and eth1, then validate, diff,
 * apply, the classic mistake and its automatic rollback. Everything it makes
 * is removed at the end, also on failure.
 *
 *   node scripts/tour.ts
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { promisify } from "node:util";

const exec = promisify(execFile);
const NODENET = new URL("../bin/nodenet", import.meta.url).pathname;
const EXAMPLES = new URL("../examples/", import.meta.url).pathname;
const id = `${process.pid}`;
const node = `tour-node-${id}`;
const gw = `tour-gw-${id}`;

async function ip(...args: string[]) {
  await exec("ip", args);
}

async function step(title: string, args: string[]): Promise<void> {
  process.stdout.write(`\n\x1b[1m## ${title}\x1b[0m\n$ nodenet ${args.join(" ")}\n`);
  try {
    const { stdout, stderr } = await exec(NODENET, args, { maxBuffer: 16 << 20 });
    process.stdout.write(stderr + stdout);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    process.stdout.write(`${e.stderr ?? ""}${e.stdout ?? ""}(exit status ${e.code})\n`);
  }
}

try {
  await ip("netns", "add", node);
  await ip("netns", "add", gw);
  await ip("-n", node, "link", "add", "eth0", "type", "veth", "peer", "name", "gw0", "netns", gw);
  await ip("-n", node, "link", "add", "eth1", "type", "veth", "peer", "name", "gw1", "netns", gw);
  for (const args of [["address", "add", "192.0.2.1/24", "dev", "gw0"], ["link", "set", "gw0", "up"], ["link", "set", "gw1", "up"]]) await ip("-n", gw, ...args);
  for (const args of [["link", "set", "lo", "up"], ["link", "set", "eth0", "up"], ["link", "set", "eth1", "up"], ["address", "add", "192.0.2.10/24", "dev", "eth0"], ["route", "add", "default", "via", "192.0.2.1"]]) {
    await ip("-n", node, ...args);
  }
  process.stdout.write(`A node namespace (${node}) with eth0 = 192.0.2.10/24, default route via 192.0.2.1 in ${gw}, and a spare eth1.\n`);
  await step("What the node has", ["show", "--netns", node, "eth*"]);
  await step("Mistakes are caught before anything is touched", ["validate", "--netns", node, `${EXAMPLES}typo.yaml`]);
  await step("What a bridge on eth1 would change", ["diff", "--netns", node, "--plan", `${EXAMPLES}bridge-on-eth1.yaml`]);
  await step("Apply it: checkpoint, one batch, read back, probes, commit", ["apply", "--netns", node, "--skip-probe", "dns", `${EXAMPLES}bridge-on-eth1.yaml`]);
  await step("Apply it again: nothing to do", ["apply", "--netns", node, "--skip-probe", "dns", `${EXAMPLES}bridge-on-eth1.yaml`]);
  await step("The classic mistake: eth0 under a bridge without IP configuration", ["apply", "--netns", node, "--skip-probe", "dns", "--probe-timeout", "5", `${EXAMPLES}management-bridge-broken.yaml`]);
  await step("The node is as it was: eth0 still has its address and the default route", ["show", "--netns", node, "eth0"]);
} finally {
  for (const ns of [node, gw]) {
    await exec("ip", ["netns", "delete", ns]).catch(() => undefined);
    rmSync(`/run/nodenet/netns-${ns}`, { recursive: true, force: true });
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
}
