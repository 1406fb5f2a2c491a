/**
 * The README's first command, end to end: `nodenet lab demo` twice in a row
 * (the second reuses the lab left by `--keep` and must clean up the first
 * run's policies by reverting them), then `nodenet lab down`, which must leave
 * no namespace, process, bridge or file behind.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { run } from "./lab.ts";

const NODENET = new URL("../../bin/nodenet", import.meta.url).pathname;
const name = `ndemo${randomBytes(2).toString("hex")}`;
const labDir = `/run/nodenet/lab/${name}`;

function processesOf(lab: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0").join(" ");
      if (cmdline.includes(`/lab/${lab}/`) || cmdline.includes(`${lab}-node-`) || cmdline.includes(`${lab}-rtr`) || cmdline.includes(`${lab}-cp`)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // gone
    }
  }
  return found;
}

describe("nodenet lab demo", () => {
  after(() => run(NODENET, ["lab", "down", "--name", name]));

  test("plays every step as narrated, twice in a row, and lab down leaves nothing behind", { timeout: 600_000 }, async (t) => {
    const first = await run(NODENET, ["lab", "demo", "--name", name, "--keep"]);
    assert.equal(first.code, 0, first.stdout.slice(-3000) + first.stderr);
    const out = first.stdout;
    for (const step of ["1. Report", "2. Configure", "3. Break", "4. Fix", "5. Drift", "6. Reboot", "7. Summary"]) assert.ok(out.includes(step), `narrates ${step}`);
    assert.match(out, /node-1: eth0, eth1; eth0 192\.0\.2\.101\/24 \(DHCP: yes\); default route via 192\.0\.2\.1 dev eth0/);
    assert.match(out, /3\/3 nodes successfully configured in [\d.]+ s; never more than 1 node changing at once/);
    assert.match(out, /policy Degraded in [\d.]+ s: 1\/3 nodes failed to configure, 2 nodes aborted configuration/);
    assert.match(out, /node-\d: default gateway 192\.0\.2\.1 via eth0 lost: no default route any more; .*rolled back/);
    assert.match(out, /3 nodes Ready, each reaching the API server through the simulated network/);
    assert.match(out, /restored after [\d.]+ s/);
    assert.match(out, /\$ nodenet lab reboot node-3/);
    assert.match(out, /node-3 Ready [\d.]+ s after the power cut, with its network/);
    assert.match(out, /6 reboot +node-3 power-cycled, back Ready with its network +[\d.]+ s/);
    assert.match(out, /The lab keeps running/);
    // The dashboard the lab's controller serves answers at the URL printed, showing the lab's nodes.
    const dashboard = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.slice(out.indexOf("The lab keeps running")));
    assert.ok(dashboard, "lab demo --keep prints the dashboard's URL");
    const view = (await (await fetch(new URL("api/view", dashboard[1]))).json()) as { view: { nodes: { name: string }[]; policies: { name: string }[] } };
    assert.deepEqual(view.view.nodes.map((n) => n.name), ["node-1", "node-2", "node-3"]);
    assert.ok(view.view.policies.length >= 2, "it shows the demo's policies");
    const summary = out.slice(out.indexOf("7. Summary"));
    t.diagnostic(summary.split("\n").slice(0, 12).join("\n"));

    const second = await run(NODENET, ["lab", "demo", "--name", name]);
    assert.equal(second.code, 0, second.stdout.slice(-3000) + second.stderr);
    assert.match(second.stdout, /already running; reusing it/);
    assert.match(second.stdout, /still has the policies of an earlier demo; deleting them restores the nodes/);
    assert.match(second.stdout, /Everything the lab made is gone/);

    const namespaces = (await run("ip", ["netns", "list"])).stdout.split("\n").filter((l) => l.startsWith(`${name}-`));
    assert.deepEqual(namespaces, [], "no namespace left");
    assert.deepEqual(processesOf(name), [], "no process left");
    assert.equal(existsSync(labDir), false, "no lab directory left");
    // The directories themselves go away once nothing is left in them.
    const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
    assert.equal(entries("/etc/netns").filter((d) => d.startsWith(`${name}-`)).length, 0, "no /etc/netns entry left");
    assert.equal(entries("/run/nodenet").filter((d) => d.includes(`${name}-`)).length, 0, "no nodenet state left");
  });
});
