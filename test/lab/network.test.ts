/**
 * The lab's simulated network, for real: namespaces, a switch of bridges,
 * dnsmasq, the forwarders, and nodenet configuring each node's eth0 by DHCP.
 * The "API server" is a TCP echo server on the host's 127.0.0.1, which nodes
 * reach only through 192.0.2.2:6443 on the lab's switch.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { ip, run } from "../../src/host/kernel/exec.ts";
import {
  checkApiReachable, createLabNetwork, describeLabNetworkEvent, destroyLabNetwork, execInNode, formatLabNetworkStatus, labDir, labNamespacePattern,
  labNetworkPaths, labNetworkStatus, setNodeCable, type LabNetwork, type LabNetworkEvent, type LabNetworkRecord,
} from "../../src/lab/network/index.ts";
import { readCmdline } from "../../src/lab/network/processes.ts";

const runId = process.env.NODENET_TEST_RUN ?? `adhoc${process.pid}`;
/** Lab names carry the run id, so the runner's leak sweep recognises their namespaces (`nt-RUN-a-sw`). */
const labName = (suffix: string) => `nt-${runId}-${suffix}`.toLowerCase();
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

function inNode(netns: string, script: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ip", ["netns", "exec", netns, process.execPath, "--disable-warning=ExperimentalWarning", fixture(script), ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${script} in ${netns}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

function startServer(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

const echoHandler = (s: import("node:net").Socket) => {
  s.on("error", () => undefined);
  s.pipe(s);
};

/** Nothing of the lab is left: namespaces, resolver and nodenet state dirs, the lab's files, processes. */
async function assertNothingLeft(lab: string, record?: LabNetworkRecord): Promise<void> {
  const { stdout } = await run("ip", ["-json", "netns", "list"]);
  const namespaces = stdout.trim() ? (JSON.parse(stdout) as { name: string }[]).map((n) => n.name) : [];
  assert.deepEqual(namespaces.filter((n) => n.startsWith(`${lab}-`)), [], "no namespace with the lab's prefix");
  assert.deepEqual(existsSync("/etc/netns") ? readdirSync("/etc/netns").filter((n) => n.startsWith(`${lab}-`)) : [], [], "no /etc/netns entries");
  const stateRoot = process.env.NODENET_STATE_DIR ?? "/run/nodenet";
  assert.deepEqual(existsSync(stateRoot) ? readdirSync(stateRoot).filter((n) => n.startsWith(`netns-${lab}-`)) : [], [], "no nodenet per-namespace state");
  assert.equal(existsSync(labDir(lab)), false, "no lab directory");
  for (const p of record?.processes ?? []) assert.equal(readCmdline(p.pid)?.join(" ").includes(p.argv.at(-1)!) ?? false, false, `${p.role} (pid ${p.pid}) is gone`);
  const mentions = readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .map((e) => ({ pid: e, argv: readCmdline(Number(e)) ?? [] }))
    .filter(({ argv }) => argv.some((a) => a.includes(labDir(lab)) || labNamespacePattern(lab).test(a)));
  assert.deepEqual(mentions, [], "no process mentions the lab's files or namespaces");
}

/** The host's own links, addresses and routes (which the lab must never change). */
async function hostNetwork(): Promise<string> {
  const views = [["-br", "link"], ["-br", "address"], ["route", "show", "table", "all"], ["-6", "route", "show", "table", "all"], ["rule"]];
  return (await Promise.all(views.map(async (args) => (await run("ip", args)).stdout))).join("\n");
}

describe("lab network", () => {
  const lab = labName("a");
  let echo: Server;
  let apiPort: number;
  let network: LabNetwork;
  let hostBefore: string;

  before(async () => {
    ({ server: echo, port: apiPort } = await startServer(echoHandler));
    hostBefore = await hostNetwork();
  });

  after(async () => {
    await destroyLabNetwork(lab);
    echo?.close();
    await assertNothingLeft(lab, network?.record);
    assert.equal(await hostNetwork(), hostBefore);
  });

  test("a 3-node lab network comes up, each node configured by nodenet over DHCP", async (t) => {
    const events: LabNetworkEvent[] = [];
    network = await createLabNetwork({ name: lab, nodes: 3, apiPort, onEvent: (e) => events.push(e) });
    t.diagnostic(`3-node lab network created in ${network.elapsedMs} ms`);
    for (const e of events) t.diagnostic(describeLabNetworkEvent(e));
    assert.deepEqual(events.filter((e) => e.type === "node").map((e) => e.type === "node" && e.node).sort(), ["node-1", "node-2", "node-3"]);
    assert.equal(events.at(-1)?.type, "ready");

    const status = await labNetworkStatus(lab);
    assert.ok(status.recorded);
    t.diagnostic(formatLabNetworkStatus(status));
    assert.equal(status.healthy, true);
    assert.deepEqual(status.processes.map((p) => [p.role, p.alive]).sort(), [["dnsmasq", true], ["forwarder-edge", true], ["forwarder-host", true]]);
    for (const [i, node] of status.nodes.entries()) {
      assert.deepEqual(node.addresses.eth0, [`192.0.2.${101 + i}/24`], `${node.name} has its fixed lease`);
      assert.deepEqual(node.addresses.eth1, [], `${node.name}'s eth1 is up without addresses`);
      assert.equal(node.defaultGateway, "192.0.2.1");
      assert.match((await ip(node.netns, ["route", "show", "default"])).stdout, /^default via 192\.0\.2\.1 dev eth0 proto dhcp/);
      assert.match(readFileSync(`/etc/netns/${node.netns}/resolv.conf`, "utf8"), new RegExp(`^nameserver 192\\.0\\.2\\.1\\nsearch ${lab}\\.lab$`, "m"));
      const links = JSON.parse((await ip(node.netns, ["-json", "link", "show"])).stdout) as { ifname: string; address: string; operstate: string }[];
      assert.deepEqual(links.map((l) => [l.ifname, l.address]).sort(), [["eth0", `02:00:00:00:01:0${i + 1}`], ["eth1", `02:00:00:00:02:0${i + 1}`], ["lo", "00:00:00:00:00:00"]]);
    }
    // The edge and the router are where they should be; the host's own namespace is untouched.
    assert.match((await ip(`${lab}-cp`, ["-br", "-4", "addr", "show", "eth0"])).stdout, /192\.0\.2\.2\/24/);
    assert.match((await ip(`${lab}-rtr`, ["-br", "-4", "addr", "show"])).stdout, /^mgmt@\S+\s+UP\s+192\.0\.2\.1\/24\s*\ndata@\S+\s+UP\s+198\.51\.100\.1\/24/m);
    assert.equal(await hostNetwork(), hostBefore);
  });

  test("every node reaches the API server through 192.0.2.2:6443: long-lived, 200 concurrent and a 32 MiB transfer, byte-exact", async (t) => {
    const started = Date.now();
    const results = await Promise.all(network.plan.nodes.map((n) => inNode(n.netns, "api-client.ts", ["echo", "192.0.2.2", "6443", "200", "32", "3000"])));
    for (const [i, out] of results.entries()) {
      const r = JSON.parse(out) as { ok: boolean; checks: Record<string, string>; errors: string[] };
      assert.equal(r.ok, true, `node-${i + 1}: ${r.errors.join("; ")}`);
      t.diagnostic(`node-${i + 1}: ${Object.values(r.checks).join("; ")}`);
    }
    t.diagnostic(`all three nodes at once in ${Date.now() - started} ms`);
  });

  test("DNS from a node: the API name, node names and localhost, nothing else", async () => {
    const out = JSON.parse(await inNode(network.plan.nodes[0]!.netns, "resolve.ts", ["192.0.2.1", `api.${lab}.lab`, "localhost", `node-3.${lab}.lab`, "node-2", "example.com"]));
    assert.deepEqual(out, {
      [`api.${lab}.lab`]: ["192.0.2.2"],
      localhost: ["127.0.0.1"],
      [`node-3.${lab}.lab`]: ["192.0.2.103"],
      "node-2": ["192.0.2.102"],
      "example.com": "ENOTFOUND",
    });
  });

  test("a node that loses its address, or its cable, loses the API server; the others keep it; restoring brings it back", async () => {
    const [, n2, n3] = network.plan.nodes;
    const reach = async () => Object.fromEntries(await Promise.all(network.plan.nodes.map(async (n) => [n.name, (await checkApiReachable(lab, n.name, { timeoutMs: 2000 })).ok] as const)));
    assert.deepEqual(await reach(), { "node-1": true, "node-2": true, "node-3": true });

    // On node-2 itself: its management address (and with it the default route) removed.
    await ip(n2!.netns, ["address", "flush", "dev", "eth0"]);
    // At the switch: node-3's management cable pulled.
    await setNodeCable(lab, n3!.name, "eth0", false);
    assert.match((await ip(n3!.netns, ["-br", "link", "show", "eth0"])).stdout, /LOWER_DOWN|NO-CARRIER/, "node-3 sees its carrier go");
    assert.deepEqual(await reach(), { "node-1": true, "node-2": false, "node-3": false });
    const lost = await checkApiReachable(lab, n2!.name, { timeoutMs: 1000 });
    assert.match(lost.detail, /ENETUNREACH|EHOSTUNREACH/);

    await ip(n2!.netns, ["-batch", "-"], { input: "address add 192.0.2.102/24 dev eth0\nroute add default via 192.0.2.1 dev eth0\n" });
    await setNodeCable(lab, n3!.name, "eth0", true);
    assert.deepEqual(await reach(), { "node-1": true, "node-2": true, "node-3": true });
  });

  test("lab exec runs a command in a node and passes its exit status through", async () => {
    assert.equal(await execInNode(lab, "node-1", ["sh", "-c", "ip -br -4 addr show eth0 | grep -q 192.0.2.101"]), 0);
    assert.equal(await execInNode(lab, "node-2", ["sh", "-c", "exit 7"]), 7);
    assert.equal(await execInNode(lab, "router", ["sh", "-c", "ip -br addr show mgmt | grep -q 192.0.2.1/24"]), 0);
    assert.equal(await execInNode(lab, "node-1", ["sh", "-c", "kill -TERM $$"]), 128 + 15);
    await assert.rejects(() => execInNode(lab, "node-9", ["true"]), /has no node "node-9"; it has node-1, node-2, node-3, router, switch, edge/);
    await assert.rejects(() => execInNode(lab, "node-1", []), /no command/);
  });

  test("creating a lab that exists is refused, and changes nothing", async () => {
    await assert.rejects(() => createLabNetwork({ name: lab, nodes: 1, apiPort }), /already exists/);
    const status = await labNetworkStatus(lab);
    assert.ok(status.recorded && status.healthy);
  });
});

describe("lab network lifecycle", () => {
  test("two labs at once, each with its own API server; destroy leaves nothing, twice", async (t) => {
    const [b, c] = [labName("b"), labName("c")];
    const servers = await Promise.all([b, c].map((name) => startServer((s) => s.end(`this is ${name}\n`))));
    t.after(() => servers.forEach((s) => s.server.close()));
    try {
      const started = Date.now();
      const [lb, lc] = await Promise.all([
        createLabNetwork({ name: b, nodes: 2, apiPort: servers[0]!.port }),
        createLabNetwork({ name: c, nodes: 1, apiPort: servers[1]!.port }),
      ]);
      t.diagnostic(`two labs (2 + 1 nodes) created side by side in ${Date.now() - started} ms`);
      // Same addresses, same MACs, separate switches: each node reaches its own lab's API server.
      for (const [name, net] of [[b, lb], [c, lc]] as const) {
        for (const node of net.plan.nodes) {
          const r = JSON.parse(await inNode(node.netns, "api-client.ts", ["banner", "192.0.2.2", "6443"]));
          assert.equal(r.checks.banner, `this is ${name}\n`, `${node.netns} reaches ${name}'s API server`);
        }
      }
      const records = [lb.record, lc.record];
      const reports = await Promise.all([destroyLabNetwork(b), destroyLabNetwork(c)]);
      assert.equal(reports[0].namespacesDeleted.length, 3 + 2);
      assert.equal(reports[1].namespacesDeleted.length, 3 + 1);
      await assertNothingLeft(b, records[0]);
      await assertNothingLeft(c, records[1]);
      const again = await destroyLabNetwork(b);
      assert.deepEqual({ ...again, name: "" }, { name: "", hadRecord: false, processesStopped: [], namespacesDeleted: [], filesRemoved: [] });
    } finally {
      await Promise.all([destroyLabNetwork(b), destroyLabNetwork(c)]);
    }
  });

  test("two creations of the same lab at once: one wins, the other fails without touching the winner's lab", async (t) => {
    const name = labName("same");
    const { server, port } = await startServer(echoHandler);
    t.after(() => server.close());
    try {
      const results = await Promise.allSettled([createLabNetwork({ name, nodes: 1, apiPort: port }), createLabNetwork({ name, nodes: 1, apiPort: port })]);
      assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
      const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.match(String(failed.reason), /already exists/);
      const status = await labNetworkStatus(name);
      assert.ok(status.recorded && status.healthy, "the winner's lab is intact");
      assert.equal((await checkApiReachable(name, "node-1")).ok, true);
    } finally {
      await destroyLabNetwork(name);
    }
    await assertNothingLeft(name);
  });

  test("destroy on a lab that never existed does nothing", async () => {
    const report = await destroyLabNetwork(labName("never"));
    assert.deepEqual(report.namespacesDeleted, []);
    assert.deepEqual(report.processesStopped, []);
  });

  for (const crashAt of ["namespaces", "services", "node"] as const) {
    test(`a creator killed with SIGKILL (at "${crashAt}") is cleaned up from the state file alone`, async (t) => {
      const name = labName(`k${crashAt[0]}`);
      const { server, port } = await startServer(echoHandler);
      t.after(() => server.close());
      try {
        const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", fixture("create-lab.ts"), name, "2", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
        let services = 0;
        let seen = "";
        await new Promise<void>((resolve, reject) => {
          let buffer = "";
          child.stdout.on("data", (d: Buffer) => {
            buffer += d.toString();
            for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
              const e = JSON.parse(buffer.slice(0, nl)) as { type: string };
              buffer = buffer.slice(nl + 1);
              seen += ` ${e.type}`;
              if (e.type === "service") services++;
              const now = (crashAt === "namespaces" && e.type === "namespaces") || (crashAt === "services" && services === 3) || (crashAt === "node" && e.type === "node");
              if (now) {
                child.kill("SIGKILL");
                resolve();
              }
              if (e.type === "created" || e.type === "error") reject(new Error(`creation ended before the crash point: ${seen}`));
            }
          });
          child.on("exit", () => resolve());
        });
        await new Promise((r) => child.once("exit", r).exitCode !== null && r(undefined));
        const record = JSON.parse(readFileSync(labNetworkPaths(name).stateFile, "utf8")) as LabNetworkRecord;
        assert.equal(record.phase, "creating", "the creator died before finishing");
        const report = await destroyLabNetwork(name);
        assert.equal(report.hadRecord, true);
        t.diagnostic(`crashed after:${seen}; destroy stopped ${report.processesStopped.length} processes, deleted ${report.namespacesDeleted.length} namespaces`);
        await assertNothingLeft(name, record);
      } finally {
        await destroyLabNetwork(name);
      }
    });
  }
});
