/**
 * Policy admission on a 3-node lab: `kubectl apply` of a policy that would
 * break a node is refused with the field path and the node, valid policies
 * (with warnings) go through, and with the webhook stopped policies cannot be
 * changed — as docs/adr/0005-admission-webhook-down.md says — until it is
 * back or the configuration is deleted.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { processStartTicks } from "../../src/process-alive.ts";
import { eventually, nodeLab, type NodeLab, type Run } from "./lab.ts";

const lab = nodeLab("nadm");

const policy = (name: string, spec: string) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: ${name}}
spec:
${spec}`;

const GATEWAY_OUTSIDE = policy(
  "gw-outside",
  `  nodeSelector: {kubernetes.io/hostname: node-2}
  desiredState:
    interfaces:
    - {name: eth1, type: ethernet, state: up, ipv4: {enabled: true, address: [{ip: 198.51.100.20, prefix-length: 24}]}}
    routes:
      config:
      - {destination: 203.0.113.0/24, next-hop-address: 192.0.2.254, next-hop-interface: eth1}
`,
);

const MAPPED = policy(
  "mapped-v6",
  `  desiredState:
    interfaces:
    - {name: eth1, type: ethernet, state: up, ipv6: {enabled: true, address: [{ip: "::ffff:192.0.2.1", prefix-length: 120}]}}
`,
);

const CAPTURE = policy(
  "capture-nn",
  `  capture:
    port: interfaces.name=="nn-capture"
  desiredState:
    interfaces:
    - {name: "{{ capture.port.interfaces.0.name }}", type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}}}
`,
);

const VALID = (name: string) =>
  policy(name, `  nodeSelector: {kubernetes.io/hostname: node-1}\n  desiredState:\n    interfaces:\n    - {name: br-${name}, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}}}\n`);

const MANAGEMENT_MISTAKE = policy(
  "br0-on-eth0",
  `  desiredState:
    interfaces:
    - {name: br0, type: linux-bridge, state: up, bridge: {options: {stp: {enabled: false}}, port: [{name: eth0}]}}
`,
);

const DENIED = 'admission webhook "validate.nncp.nodenet.io" denied the request';

async function apply(l: NodeLab, yaml: string, ...flags: string[]): Promise<Run> {
  return l.kubectl(["apply", ...flags, "-f", "-"], yaml);
}

async function absent(l: NodeLab, name: string): Promise<void> {
  assert.equal(await l.policies.get(name), undefined, `policy ${name} was not stored`);
}

async function available(l: NodeLab, name: string): Promise<void> {
  await eventually(`policy ${name} Available`, 60_000, async () => {
    const c = (await l.policies.get(name))?.status?.conditions?.find((x) => x.status === "True");
    if (c?.type === "Degraded") throw new Error(`${name} is Degraded: ${c.message}`);
    return c?.type === "Available" ? true : undefined;
  });
}

/** The webhook answers again (after a restart): a refused dry run proves it. */
async function webhookAnswers(l: NodeLab): Promise<void> {
  await eventually("the webhook to answer", 30_000, async () => ((await apply(l, MAPPED, "--dry-run=server")).stderr.includes(DENIED) ? true : undefined));
}

describe("policy admission", () => {
  test("a route whose gateway is outside the interface's subnet is refused, naming the field and the node", async (t) => {
    const l = lab();
    const started = Date.now();
    const r = await apply(l, GATEWAY_OUTSIDE);
    t.diagnostic(`refused in ${Date.now() - started} ms:\n${r.stderr}`);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(DENIED));
    assert.match(r.stderr, /policy gw-outside would break node-2/);
    assert.match(r.stderr, /error: spec\.desiredState\.routes\.config\[0\]\.next-hop-address: next hop 192\.0\.2\.254 is not inside any subnet of eth1 \(198\.51\.100\.20\/24\).* \(on node-2\)/);
    await absent(l, "gw-outside");
  });

  test("an IPv4-mapped IPv6 address is refused on every selected node", async (t) => {
    const l = lab();
    const r = await apply(l, MAPPED);
    t.diagnostic(r.stderr);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(DENIED));
    assert.match(r.stderr, /error: spec\.desiredState\.interfaces\[0\]\.ipv6\.address\[0\]\.ip: .*IPv4-mapped IPv6 address.* \(on node-1, node-2 and node-3\)/);
    await absent(l, "mapped-v6");
  });

  test("a capture that matches nothing on one selected node is refused, naming that node only", async (t) => {
    const l = lab();
    // nn-capture exists on node-1 and node-3, not on node-2.
    for (const node of ["node-1", "node-3"]) assert.equal((await l.exec(node, ["ip", "link", "add", "nn-capture", "type", "bridge"])).code, 0);
    try {
      await eventually("node-1 and node-3 to report nn-capture", 30_000, async () => {
        const names = await Promise.all(["node-1", "node-3"].map(async (n) => JSON.stringify((await l.states.get(n))?.status?.currentState ?? {})));
        return names.every((s) => s.includes('"nn-capture"')) ? true : undefined;
      });
      const r = await apply(l, CAPTURE);
      t.diagnostic(r.stderr);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, new RegExp(DENIED));
      assert.match(r.stderr, /policy capture-nn would break node-2 \(1 error; nothing was applied; checked against the current state of node-1, node-2 and node-3\)/);
      assert.match(r.stderr, /error: spec\.capture\.port: desiredState\.interfaces\[0\]\.name: capture 'port' matched no interfaces.* \(on node-2\)\n/);
      assert.match(r.stderr, /\{\{ capture\.port\.interfaces\.0\.name \}\}\n\s+\^/, "the caret under the reference");
      await absent(l, "capture-nn");
    } finally {
      for (const node of ["node-1", "node-3"]) await l.exec(node, ["ip", "link", "del", "nn-capture"]);
    }
  });

  test("a valid policy is accepted and rolled out; the management-interface mistake is accepted with a Warning", async (t) => {
    const l = lab();
    const ok = await apply(l, VALID("adm-ok"));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, "", "no warnings");
    await available(l, "adm-ok");

    // A server-side dry run passes admission exactly as a real apply would, without rolling out a policy that breaks nodes.
    const warned = await apply(l, MANAGEMENT_MISTAKE, "--dry-run=server");
    t.diagnostic(warned.stderr);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stdout, /br0-on-eth0 created \(server dry run\)/);
    assert.match(
      warned.stderr,
      /^Warning: spec\.desiredState\.interfaces\[0\]: eth0 carries the default route \(via 192\.0\.2\.1\) and becomes a port of br0, .*the host would lose its gateway \(give br0 the address configuration .*\) \(on node-1, node-2 and node-3\)$/m,
    );
    await absent(l, "br0-on-eth0");
  });

  test("with the webhook stopped, policy changes are refused (failurePolicy Fail) while metadata updates and deletes go on; it works again after a restart, and deleting the configuration is the escape hatch", { timeout: 180_000 }, async (t) => {
    const l = lab();
    assert.equal((await apply(l, VALID("adm-keep"))).code, 0);
    const pid = l.pid("controller");
    process.kill(pid, "SIGTERM");
    await eventually("the controller to stop", 15_000, () => (processStartTicks(pid) === undefined ? true : undefined));

    const down = await apply(l, VALID("adm-new"));
    t.diagnostic(`webhook down:\n${down.stderr}`);
    assert.equal(down.code, 1, down.stdout);
    assert.match(down.stderr, /failed calling webhook "validate\.nncp\.nodenet\.io"/);
    assert.match(down.stderr, /connection refused/);
    await absent(l, "adm-new");
    const changed = await apply(l, VALID("adm-keep").replace("br-adm-keep", "br-adm-keep2"));
    assert.equal(changed.code, 1, "a change of spec needs the webhook");
    const labelled = await l.kubectl(["label", "nncp", "adm-keep", "nodenet.io/test=label"]);
    assert.equal(labelled.code, 0, `a metadata update does not: ${labelled.stderr}`);
    const deleted = await l.kubectl(["delete", "nncp", "adm-ok"]);
    assert.equal(deleted.code, 0, `nor a delete: ${deleted.stderr}`);

    // The escape hatch: without the configuration, policies go through unchecked…
    assert.equal((await l.kubectl(["delete", "validatingwebhookconfiguration", "nodenet"])).code, 0);
    const unchecked = await apply(l, MAPPED, "--dry-run=server");
    assert.equal(unchecked.code, 0, unchecked.stderr);

    // …until the controller runs again: its leader registers the webhook again, and it answers.
    await l.restart("controller");
    await webhookAnswers(l);
    const back = await apply(l, VALID("adm-new"));
    assert.equal(back.code, 0, back.stderr);
    const refused = await apply(l, GATEWAY_OUTSIDE);
    assert.match(refused.stderr, new RegExp(DENIED));

    assert.equal((await l.kubectl(["delete", "nncp", "adm-keep", "adm-new"])).code, 0);
  });
});
