/**
 * `nodenet dashboard` in headless Chromium against a 3-node lab (the lab's
 * default mode), driven over the DevTools protocol: the cluster and node
 * views show what the nodes' kernels have, a policy applied during the test
 * appears and its tiles turn Available through the watch → server-sent
 * event path (the delay from the status write to the DOM is measured and
 * reported), the break scenario shows Failing and Aborted with the reason
 * and the rollback Event, and the preview says what `nodenet diff` says.
 * Screenshots go to the run's output directory (NODENET_TEST_OUTPUT).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Enactment } from "../../src/cluster/api/enactment.ts";
import { currentPhase } from "../../src/cluster/handler/enactment-conditions.ts";
import { Informer, resourceSource } from "../../src/cluster/kube/informer.ts";
import { readLabState } from "../../src/lab/state.ts";
import { brokenMgmtBridge, MGMT_POLICY, STORAGE_POLICY, storageBridge } from "../../src/lab/demo/policies.ts";
import { Browser, type Page } from "../helpers/chromium.ts";
import { eventually, nodeLab, run } from "../nodes/lab.ts";

const NODENET = new URL("../../bin/nodenet", import.meta.url).pathname;
const NODES = ["node-1", "node-2", "node-3"];
const OUTPUT = join(process.env.NODENET_TEST_OUTPUT ?? join(tmpdir(), "nodenet-test-output"), "dashboard");

interface TileDom {
  node: string;
  phase: string;
  rv: string;
  phaseRv: string;
  changedAt: number;
  reason: string;
  message: string;
}

/** The rollout tiles of one policy as the page shows them. */
const tilesOf = (page: Page, policy: string) =>
  page.evaluate<TileDom[]>(`[...document.querySelectorAll('section.rollout[data-policy="${policy}"] .tile')].map((t) => ({
    node: t.dataset.node, phase: t.dataset.phase, rv: t.dataset.rv, phaseRv: t.dataset.phaseRv, changedAt: Number(t.dataset.changedAt),
    reason: t.querySelector(".reason")?.textContent ?? "", message: t.querySelector(".message")?.textContent ?? "" }))`);

/** `ip -json addr` of one interface in a node, as "ip/prefix" strings (the truth the page must show). */
async function kernelAddresses(lab: ReturnType<ReturnType<typeof nodeLab>>, node: string, iface: string): Promise<string[]> {
  const r = await lab.exec(node, ["ip", "-json", "address", "show", "dev", iface]);
  assert.equal(r.code, 0, r.stderr);
  const [link] = JSON.parse(r.stdout) as { addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }[];
  return link!.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
}

/** Starts `nodenet dashboard` and returns its process and the URL it printed. */
async function startDashboard(kubeconfig: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(NODENET, ["dashboard", "--kubeconfig", kubeconfig, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
      const found = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (found) resolve(found[1]!);
    });
    child.once("exit", (code) => reject(new Error(`nodenet dashboard exited (${code}) before it listened: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

describe("nodenet dashboard in headless Chromium", () => {
  const lab = nodeLab("ndash");
  let browser: Browser | undefined;
  let page: Page;
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
  const shot = async (name: string) => {
    const file = join(OUTPUT, `${name}.png`);
    // Down to the footer: the page, not the empty window below it.
    const height = await page.evaluate<number>(`Math.ceil(document.querySelector("footer").getBoundingClientRect().bottom + window.scrollY + 8)`);
    await page.screenshot(file, { x: 0, y: 0, width: 1280, height });
    return file;
  };

  before(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    dashboard = await startDashboard(lab().kubeconfig);
    browser = await Browser.launch({ width: 1280, height: 900 });
    page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.waitFor("the stream to be live", 20_000, `document.getElementById("connection").dataset.state === "live"`);
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    if (dashboard) await stopProcess(dashboard.child);
  });

  test("the cluster view lists the three nodes, Ready, each with its NodeNetworkState", async () => {
    const rows = await page.waitFor<{ node: string; ready: string; reported: string }[]>("three node rows", 20_000, `(() => {
      const rows = [...document.querySelectorAll("#nodes tbody tr")].map((r) => ({ node: r.dataset.node, ready: r.cells[1].textContent, reported: r.cells[2].textContent }));
      return rows.length === 3 && rows.every((r) => r.ready === "Ready") ? rows : undefined; })()`);
    assert.deepEqual(rows.map((r) => r.node), NODES);
    for (const row of rows) assert.doesNotMatch(row.reported, /no NodeNetworkState/, `${row.node} reports its state`);
    assert.equal(await page.evaluate(`document.querySelectorAll(".problem").length`), 0, "the admin may list everything: no access problem shown");
    await shot("cluster");
  });

  test("each node view draws the node's interfaces with the kernel's addresses, its default route and DNS", async () => {
    for (const node of NODES) {
      await page.evaluate(`location.hash = "#/node/${node}"`);
      await page.waitFor(`${node}'s graph`, 20_000, `document.querySelector('#node-graph[data-node="${node}"][data-drawn]')`);
      const graph = await page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll("#node-graph g.iface")].map((g) => [g.dataset.iface, [...g.querySelectorAll("text.addr")].map((t) => t.textContent).join(" ")]))`);
      assert.ok("eth0" in graph && "eth1" in graph, `${node}: eth0 and eth1 drawn (got ${Object.keys(graph).join(", ")})`);
      assert.equal(graph.eth0, (await kernelAddresses(lab(), node, "eth0")).join(" "), `${node}: eth0's addresses as the kernel has them`);
      assert.equal(graph.eth1, (await kernelAddresses(lab(), node, "eth1")).join(" "), `${node}: eth1's addresses as the kernel has them`);
      const route = await lab().exec(node, ["ip", "-json", "route", "show", "default"]);
      const [gateway] = JSON.parse(route.stdout) as { gateway: string; dev: string }[];
      const routes = await page.evaluate<string[]>(`[...document.querySelectorAll("#default-routes li")].map((l) => l.textContent)`);
      assert.ok(routes.includes(`0.0.0.0/0 via ${gateway!.gateway} dev ${gateway!.dev}`), `${node}: the default route via ${gateway!.gateway} (page: ${routes.join("; ")})`);
      const dns = await page.evaluate<string[]>(`[...document.querySelectorAll("#dns li.dns-server")].map((l) => l.textContent)`);
      assert.deepEqual(dns, ["192.0.2.1"], `${node}: the lab router as DNS server`);
    }
    await page.evaluate(`location.hash = "#/node/node-1"`);
    await shot("node-1");
  });

  test("a policy applied now appears, and each tile turns Available through the live path (delay from the status write measured)", async (t) => {
    // Every status write of each node's enactment, in order, as a watch sees it: the first Available one is "the status change".
    const writes = new Map<string, { rv: string; phase: string; at: number }[]>();
    const watch = new Informer(lab().kube.config, resourceSource(lab().enactments, { labelSelector: `nmstate.io/policy=${STORAGE_POLICY}` }), (e) => {
      const node = e.object.metadata.labels?.["nmstate.io/node"] ?? "";
      if (e.type === "deleted") return;
      const list = writes.get(node) ?? [];
      list.push({ rv: e.object.metadata.resourceVersion ?? "", phase: currentPhase((e.object as Enactment).status?.conditions) ?? "", at: Date.now() });
      writes.set(node, list);
    });
    const firstAvailable = (node: string) => writes.get(node)?.findIndex((w) => w.phase === "Available") ?? -1;
    await watch.start();
    try {
      await page.evaluate(`location.hash = "#/rollout/${STORAGE_POLICY}"`);
      await page.waitFor("the page to wait for the policy", 10_000, `document.querySelector('[data-waiting="${STORAGE_POLICY}"]')`);
      const before = await page.evaluate<{ messages: number; opened: number }>(`({ ...dashboardStats })`);
      const applied = await lab().kubectl(["apply", "-f", "-"], storageBridge);
      assert.equal(applied.code, 0, applied.stderr);
      await page.waitFor("the policy's rollout to appear", 15_000, `document.querySelector('section.rollout[data-policy="${STORAGE_POLICY}"] .tile')`);
      const phasesSeen = new Set<string>();
      const tiles = await eventually("every tile Available", 180_000, async () => {
        const now = await tilesOf(page, STORAGE_POLICY);
        for (const tile of now) phasesSeen.add(tile.phase);
        return now.length === 3 && now.every((x) => x.phase === "Available") ? now : undefined;
      }, 100);
      assert.deepEqual(tiles.map((x) => x.node), NODES);
      assert.ok(phasesSeen.has("Progressing") || phasesSeen.has("Pending"), `the tiles went through the rollout (seen: ${[...phasesSeen].join(", ")})`);
      const delays: string[] = [];
      for (const tile of tiles) {
        const first = await eventually(`the test's own watch to see ${tile.node} Available`, 10_000, () => (firstAvailable(tile.node) >= 0 ? firstAvailable(tile.node) : undefined));
        const history = writes.get(tile.node)!;
        const write = history[first]!;
        // The tile turned Available on that write, or on one right after it that came in the same coalesced burst.
        const changedOn = history.findIndex((w) => w.rv === tile.phaseRv);
        assert.ok(changedOn >= first && history.slice(first, changedOn + 1).every((w) => w.phase === "Available"), `${tile.node}: the tile changed on status write ${tile.phaseRv}, the first Available one being ${write.rv} (${JSON.stringify(history)})`);
        const delay = tile.changedAt - write.at;
        delays.push(`${tile.node} ${delay} ms`);
        assert.ok(delay < 2_000, `${tile.node}: the tile turned Available ${delay} ms after the status write was visible to a watch (must be within 2 s)`);
      }
      t.diagnostic(`status write (seen by the test's watch) → tile Available in the DOM: ${delays.join(", ")}`);
      const afterStats = await page.evaluate<{ messages: number; opened: number }>(`({ ...dashboardStats })`);
      assert.equal(afterStats.opened, before.opened, "the page was not reloaded");
      assert.ok(afterStats.messages > before.messages, "the changes came as server-sent events");
      const requests = await page.evaluate<string[]>(`performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.startsWith("/api/"))`);
      assert.deepEqual(requests.filter((p) => p === "/api/view"), [], "the page never polls the view");
      const verdict = await page.waitFor<string>("the policy Available", 20_000, `(() => { const v = document.querySelector('section.rollout[data-policy="${STORAGE_POLICY}"] .verdict')?.dataset.verdict; return v === "Available" ? v : undefined; })()`);
      assert.equal(verdict, "Available");
      await shot("rollout-available");
    } finally {
      await watch.stop();
    }
  });

  test("the node view shows the new bridge, its port, its address from the kernel, and the policy that declared it", async () => {
    await page.evaluate(`location.hash = "#/node/node-2"`);
    const graph = await page.waitFor<{ addr: string; declared: string }>("br1 in node-2's graph", 20_000, `(() => {
      const g = document.querySelector('#node-graph[data-drawn] g.iface[data-iface="br1"]');
      const addr = g && [...g.querySelectorAll("text.addr")].map((t) => t.textContent).join(" ");
      return addr ? { addr, declared: g.querySelector("text.declared")?.textContent ?? "" } : undefined; })()`);
    assert.equal(graph.addr, (await kernelAddresses(lab(), "node-2", "br1")).join(" "), "br1's DHCP address as the kernel has it");
    assert.equal(graph.declared, `declared by ${STORAGE_POLICY}`);
    assert.equal(await page.evaluate(`Boolean(document.querySelector('#node-graph polyline.port[data-from="eth1"][data-to="br1"]'))`), true, "eth1 drawn as a port of br1");
    assert.equal(await page.evaluate(`document.querySelector('#node-graph g.iface[data-iface="br1"]').dataset.type`), "linux-bridge");
    await shot("node-2-bridge");
  });

  test("a change made by hand is put back, and the rollout view shows the drift correction Event", async () => {
    await page.evaluate(`location.hash = "#/rollout/${STORAGE_POLICY}"`);
    const flushed = await lab().exec("node-2", ["ip", "address", "flush", "dev", "br1", "scope", "global"]);
    assert.equal(flushed.code, 0, flushed.stderr);
    const drift = await page.waitFor<string>("a DriftCorrected Event for node-2", 60_000, `[...document.querySelectorAll('section.rollout[data-policy="${STORAGE_POLICY}"] li.event[data-reason="DriftCorrected"]')].map((l) => l.textContent).find((t) => t.includes("node-2.${STORAGE_POLICY}"))`);
    assert.match(drift, /\(Apply\)/);
  });

  test("the break scenario shows the first node Failing with the reason, the others Aborted, and the rollback Event", async () => {
    await page.evaluate(`location.hash = "#/rollout/${MGMT_POLICY}"`);
    const applied = await lab().kubectl(["apply", "-f", "-"], brokenMgmtBridge);
    assert.equal(applied.code, 0, applied.stderr);
    const tiles = await eventually("one tile Failing and two Aborted", 180_000, async () => {
      const now = await tilesOf(page, MGMT_POLICY);
      const count = (phase: string) => now.filter((x) => x.phase === phase).length;
      return now.length === 3 && count("Failing") === 1 && count("Aborted") === 2 ? now : undefined;
    }, 200);
    const failing = tiles.find((x) => x.phase === "Failing")!;
    assert.equal(failing.reason, "FailedToConfigure");
    assert.match(failing.message, /default gateway 192\.0\.2\.1 via eth0 lost/);
    assert.match(failing.message, /rolled back/);
    for (const aborted of tiles.filter((x) => x.phase === "Aborted")) {
      assert.equal(aborted.reason, "ConfigurationAborted");
      assert.match(aborted.message, new RegExp(`the policy failed on ${failing.node}`));
    }
    const events = await page.waitFor<{ reason: string; action: string; text: string }[]>("the rollback Event", 20_000, `(() => {
      const list = [...document.querySelectorAll('section.rollout[data-policy="${MGMT_POLICY}"] li.event')].map((l) => ({ reason: l.dataset.reason, action: l.dataset.action, text: l.textContent }));
      return list.some((e) => e.action === "Rollback") ? list : undefined; })()`);
    const rollback = events.find((e) => e.action === "Rollback")!;
    assert.equal(rollback.reason, "FailedToConfigure");
    assert.match(rollback.text, new RegExp(`${failing.node}\\.${MGMT_POLICY}`));
    assert.match(rollback.text, /rolled back/);
    const verdict = await page.waitFor<string>("the policy Degraded", 20_000, `(() => { const v = document.querySelector('section.rollout[data-policy="${MGMT_POLICY}"] .verdict')?.dataset.verdict; return v === "Degraded" ? v : undefined; })()`);
    assert.equal(verdict, "Degraded");
    const screenshot = await shot("rollout-break");
    assert.ok(existsSync(screenshot));
    // The cluster view agrees.
    await page.evaluate(`location.hash = "#/"`);
    const row = await page.waitFor<string>("the policies table", 10_000, `document.querySelector('#policies tr[data-policy="${MGMT_POLICY}"] .verdict')?.dataset.verdict`);
    assert.equal(row, "Degraded");
    const nodePhase = await page.evaluate<string>(`document.querySelector('#nodes tr[data-node="${failing.node}"] .phase[data-policy="${MGMT_POLICY}"]').dataset.phase`);
    assert.equal(nodePhase, "Failing");
    const deleted = await lab().kubectl(["delete", "nncp", MGMT_POLICY]);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  test("the preview shows per node what nodenet diff shows, and refuses an invalid policy naming the field", async () => {
    const vlanPolicy = `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: preview-vlan}
spec:
  nodeSelector: {kubernetes.io/hostname: node-1}
  desiredState:
    interfaces:
    - name: eth1.100
      type: vlan
      state: up
      vlan: {base-iface: eth1, id: 100}
      ipv4: {enabled: true, address: [{ip: 203.0.113.10, prefix-length: 24}]}
`;
    await page.evaluate(`location.hash = "#/preview"`);
    const previewOf = async (text: string) => {
      await page.waitFor("the preview form", 10_000, `document.getElementById("preview-document")`);
      await page.evaluate(`(() => { const f = document.getElementById("preview-form"); f.elements.document.value = ${JSON.stringify(text)}; delete document.getElementById("preview-output").dataset.done; f.requestSubmit(); })()`);
      await page.waitFor("the preview result", 20_000, `document.getElementById("preview-output").dataset.done`);
      return page.evaluate<{ node: string; outcome: string; diff: string; issues: string[] }[]>(`[...document.querySelectorAll(".preview-node")].map((s) => ({ node: s.dataset.node, outcome: s.dataset.outcome, diff: s.querySelector("pre.diff")?.textContent ?? "", issues: [...s.querySelectorAll(".issue")].map((i) => i.textContent) }))`);
    };
    const shown = await previewOf(vlanPolicy);
    assert.deepEqual(shown.map((s) => [s.node, s.outcome]), [["node-1", "diff"]], "the nodeSelector picks node-1 only");
    const file = join(OUTPUT, "preview-vlan.yaml");
    writeFileSync(file, vlanPolicy);
    const cli = await run(NODENET, ["diff", "--netns", lab().netns("node-1"), file]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(shown[0]!.diff, cli.stdout.trimEnd(), "the same diff as nodenet diff on that node");
    assert.match(shown[0]!.diff, /\+ interface eth1\.100 \[vlan\]: created/);
    await shot("preview");

    // Every node, and a gateway outside eth1.100's subnet.
    const broken = `${vlanPolicy.replace("nodeSelector: {kubernetes.io/hostname: node-1}", "nodeSelector: {}")}    routes:
      config:
      - {destination: 198.51.100.0/24, next-hop-address: 192.0.2.77, next-hop-interface: eth1.100}
`;
    const refused = await previewOf(broken);
    assert.deepEqual(refused.map((s) => s.node), NODES, "an empty nodeSelector selects every node");
    for (const node of refused) {
      assert.equal(node.outcome, "invalid", `${node.node}: refused`);
      assert.ok(node.issues.some((i) => /routes\.config\[0\]\.next-hop-address/.test(i) && /192\.0\.2\.77 is not inside any subnet/.test(i)), `${node.node}: the issue names the field (${node.issues.join("; ")})`);
    }
  });

  test("the lab's controller serves the same dashboard with its service account, Events included", async () => {
    const url = readLabState(lab().name)?.nodes.dashboardUrl;
    assert.ok(url, "the lab records the controller's dashboard URL");
    const response = await fetch(new URL("api/view", url)).catch((error: unknown) => {
      const log = join(readLabState(lab().name)!.dir, "logs", "controller.log");
      throw new Error(`the controller's dashboard at ${url} does not answer (${String(error)}); ${log} ends:\n${existsSync(log) ? readFileSync(log, "utf8").slice(-3000) : "(no log)"}`);
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { view: { nodes: { name: string }[]; policies: { name: string; events: unknown[] }[] }; problems: unknown[]; identity: string };
    assert.deepEqual(body.view.nodes.map((n) => n.name), NODES);
    assert.deepEqual(body.problems, [], "deploy/rbac lets the controller read everything the dashboard shows");
    assert.ok(body.view.policies.find((p) => p.name === STORAGE_POLICY)?.events.length, "it sees the rollout's Events");
    assert.match(body.identity, /controller's service account/);
  });

  test("with a narrower identity (a node's handler) it shows what that identity may list, and says what it may not", async () => {
    const handlerKubeconfig = readLabState(lab().name)?.nodes.kubeconfigs?.handlers["node-1"];
    assert.ok(handlerKubeconfig, "the lab has node-1's handler identity");
    // The handler's kubeconfig names the API server as the nodes reach it (through the simulated network); from here, the host's address.
    const config = parse(readFileSync(handlerKubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[] };
    const admin = parse(readFileSync(lab().kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[] };
    for (const cluster of config.clusters) cluster.cluster.server = admin.clusters[0]!.cluster.server;
    const narrowConfig = join(OUTPUT, "handler-node-1.kubeconfig");
    writeFileSync(narrowConfig, stringify(config), { mode: 0o600 });
    const narrow = await startDashboard(narrowConfig);
    try {
      const body = (await (await fetch(new URL("api/view", narrow.url))).json()) as { view: { nodes: { name: string }[]; policies: { name: string; events: unknown[] }[] }; problems: { kind: string; message: string }[] };
      assert.deepEqual(body.problems.map((p) => p.kind), ["events"], "a handler may not read Events: left out and said");
      assert.match(body.problems[0]!.message, /may not list \/apis\/events\.k8s\.io\/v1\/namespaces\/default\/events \(HTTP 403\)/);
      assert.deepEqual(body.view.nodes.map((n) => n.name), NODES, "what it may list is shown");
      assert.ok(body.view.policies.every((p) => p.events.length === 0));
      assert.match(narrow.stderr(), /warning: your credentials may not list/);
    } finally {
      await stopProcess(narrow.child);
      rmSync(narrowConfig, { force: true });
    }
  });

  test("read-only: anything but GET (and the preview) is refused; a foreign Host is refused", async () => {
    const url = dashboard!.url;
    assert.equal((await fetch(new URL("api/view", url), { method: "DELETE" })).status, 405);
    assert.equal((await fetch(new URL("api/view", url), { method: "PUT", body: "{}" })).status, 405);
    const foreign = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: attacker.example", new URL("api/view", url).href]);
    assert.equal(foreign.stdout, "403");
  });

  test("chromium and the dashboard end, with every process and the profile directory", async () => {
    const pids = browser!.processIds();
    const profile = browser!.profileDir;
    assert.ok(pids.length > 1, "chromium started its helper processes");
    await browser!.close();
    browser = undefined;
    const alive = pids.filter((pid) => existsSync(`/proc/${pid}`) && !/^\S+ \(\S+\) Z/.test(readStat(pid)));
    assert.deepEqual(alive, [], "no chromium process left");
    assert.equal(existsSync(profile), false, "the profile directory is removed");
    await stopProcess(dashboard!.child);
    assert.ok(dashboard!.child.exitCode === 0 || dashboard!.child.signalCode === "SIGTERM", `the dashboard stopped on SIGTERM (${dashboard!.child.exitCode}, ${dashboard!.stderr()})`);
  });
});

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
}
