/**
 * `nodenet lab demo`: the whole story on one machine, narrated, with the real
 * kubectl commands and their real output — and checked: every step must
 * behave as narrated or the demo fails (non-zero exit), so it doubles as the
 * end-to-end test.
 *
 *   1 report   each node's network as the cluster sees it (NodeNetworkState)
 *   2 configure a bridge on eth1 with a per-node address, one node at a time
 *   3 break    eth0 under a bridge without IP configuration: the first node
 *              loses its gateway and the API server, rolls back by itself,
 *              the others abort, the policy is Degraded, every node reachable
 *   4 fix      the same bridge with DHCP: Available everywhere
 *   5 drift    an address deleted by hand on a node comes back by itself
 *   6 reboot   a configured node power-cycled comes back Ready with its network
 *   7 summary  what happened and how long each part took
 */
import { execFile } from "node:child_process";
import type { Enactment } from "../../cluster/api/enactment.ts";
import type { Condition } from "../../cluster/api/meta.ts";
import { connect, type Kube } from "../../cluster/kube/config.ts";
import { Informer, resourceSource } from "../../cluster/kube/informer.ts";
import { enactmentClient, nodeStateClient, policyClient } from "../../cluster/kube/resources.ts";
import { isNodeReady, NodeSchema } from "../../cluster/kube/nodes.ts";
import { currentPhase } from "../../cluster/handler/enactment-conditions.ts";
import { followRollout, type RolloutResult } from "../../cluster/rollout-status.ts";
import { labDown, labUp } from "../lab.ts";
import { checkApiReachable, dataAddress, nodeNetns } from "../network/index.ts";
import { DemoError, expect, Narrator } from "./narrator.ts";
import { rebootStep } from "./reboot-step.ts";
import { brokenMgmtBridge, fixedMgmtBridge, MGMT_POLICY, STORAGE_POLICY, storageBridge } from "./policies.ts";

export interface DemoOptions {
  name: string;
  /** Leave the lab running afterwards for exploring. */
  keep: boolean;
  write: (text: string) => void;
  tty: boolean;
}

const NODES = ["node-1", "node-2", "node-3"];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(200);
  }
  throw new DemoError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

const trueCondition = (conditions: readonly Condition[] | undefined) => conditions?.find((c) => c.status === "True");

/** Time between an enactment entering Progressing and leaving it for the phase it is in now (second precision, as Kubernetes stores it). */
function progressingMs(enactment: Enactment): number | undefined {
  const conditions = enactment.status?.conditions ?? [];
  const now = trueCondition(conditions);
  const progressing = conditions.find((c) => c.type === "Progressing");
  if (!now?.lastTransitionTime || !progressing?.lastTransitionTime) return undefined;
  return Date.parse(now.lastTransitionTime) - Date.parse(progressing.lastTransitionTime);
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const n = new Narrator(options.write, options.tty);
  const timings: string[][] = [["step", "what happened", "took"]];
  const started = Date.now();
  n.say("nodenet demo: a 3-node cluster on this machine. Each node is a network namespace with two NICs");
  n.say("(eth0: management, by DHCP; eth1: storage) cabled to a simulated switch; the API server is reachable");
  n.say("from the nodes only through that network, so a node that breaks its network really loses it.\n");
  const up = await labUp({ name: options.name, nodes: 3, progress: (m) => n.say(`  [lab] ${m}`) });
  const kubeconfig = up.state.controlPlane!.kubeconfigs.admin;
  const kube = connect(kubeconfig);
  const kubectl = (args: string[], input?: string) => n.run(`kubectl ${args.join(" ")}${input ? " <<EOF" : ""}`, "kubectl", ["--kubeconfig", kubeconfig, ...args], input);
  const labExec = (node: string, argv: string[]) => n.run(`nodenet lab exec ${node} -- ${argv.join(" ")}`, "ip", ["netns", "exec", nodeNetns(options.name, Number(node.slice(5))), ...argv]);
  let ok = false;
  try {
    n.say(`\nlab "${options.name}" is ${up.reused ? "already running; reusing it" : "up"} (${seconds(up.seconds * 1000)}). To follow along in another terminal:`);
    n.say(`  export KUBECONFIG=${kubeconfig}`);
    await cleanUp(n, kube, kubectl);

    await report(n, kube, kubectl);
    timings.push(["1 report", "3 nodes report their network (NodeNetworkState)", "-"]);

    const configured = await configure(n, kube, kubectl, labExec);
    timings.push(["2 configure", `bridge on eth1, node by node (at most ${configured.most} at once)`, seconds(configured.ms)]);

    const broken = await breakIt(n, kube, kubectl, labExec, options.name);
    timings.push(["3 break", `${broken.failed} lost its gateway, rolled back; others aborted`, `${seconds(broken.ms)} to Degraded`]);
    timings.push(["", `${broken.failed}: detect and roll back`, broken.rollbackMs !== undefined ? `≤ ${seconds(broken.rollbackMs + 1000)}` : "?"]);

    const fixed = await fix(n, kube, kubectl, labExec);
    timings.push(["4 fix", "the bridge with DHCP, Available on every node", seconds(fixed)]);

    const drift = await driftIt(n, kube, kubectl, labExec, options.name);
    timings.push(["5 drift", "address deleted by hand on node-2, restored", seconds(drift)]);

    const rebooted = await rebootStep(n, kube, options.name, kubectl, labExec, 6);
    timings.push(["6 reboot", "node-3 power-cycled, back Ready with its network", seconds(rebooted)]);

    n.step(7, "Summary");
    n.table(timings);
    n.say(`\nThe whole demo took ${seconds(Date.now() - started)}.`);
    ok = true;
    return 0;
  } catch (error) {
    n.endProgress();
    n.say(`\nThe demo FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof DemoError)) throw error;
    return 1;
  } finally {
    if (options.keep) {
      n.say(`\nThe lab keeps running. Explore it:`);
      if (up.state.nodes.dashboardUrl) n.say(`  dashboard: ${up.state.nodes.dashboardUrl}   (every node's network drawn, the rollouts live; or run nodenet dashboard with your own kubeconfig)`);
      n.say(`  export KUBECONFIG=${kubeconfig}`);
      n.say("  kubectl get nncp,nnce,nns");
      n.say("  nodenet lab exec node-1 -- ip -br addr");
      n.say(`  nodenet lab status${options.name === "nodenet" ? "" : ` --name ${options.name}`}`);
      n.say(`  nodenet lab down${options.name === "nodenet" ? "" : ` --name ${options.name}`}   # removes everything`);
    } else {
      n.say(`\n${ok ? "Cleaning up" : "Cleaning up after the failure"}: nodenet lab down`);
      await labDown(options.name);
      n.say("Everything the lab made is gone (namespaces, processes, files). Run with --keep to explore it instead.");
    }
  }
}

/** A lab reused from an earlier demo: its demo policies are deleted, which (revertOnDelete) restores the nodes. */
async function cleanUp(n: Narrator, kube: Kube, kubectl: (args: string[]) => Promise<unknown>): Promise<void> {
  const policies = policyClient(kube);
  const leftovers: string[] = [];
  for (const name of [MGMT_POLICY, STORAGE_POLICY]) if (await policies.get(name)) leftovers.push(name);
  if (!leftovers.length) return;
  n.say("\nThis lab still has the policies of an earlier demo; deleting them restores the nodes (revertOnDelete):");
  await kubectl(["delete", "nncp", ...leftovers]);
  const enactments = enactmentClient(kube);
  await until("the earlier demo's changes to be reverted", 120_000, async () => {
    const left = (await enactments.list()).items.filter((e) => leftovers.includes(e.metadata.labels?.["nmstate.io/policy"] ?? ""));
    return left.length ? undefined : true;
  });
}

async function report(n: Narrator, kube: Kube, kubectl: (args: string[]) => Promise<{ code: number }>): Promise<void> {
  n.step(1, "Report: each node's network, as the cluster sees it");
  n.say("Every node's handler writes a NodeNetworkState when its network really changes (and never when idle).");
  expect((await kubectl(["get", "nns"])).code === 0, "kubectl get nns failed");
  const states = nodeStateClient(kube);
  for (const node of NODES) {
    // A node restored a moment ago (an earlier demo's policies reverted) reports within seconds: wait for it.
    await until(`${node}'s NodeNetworkState to show eth0's address`, 30_000, async () => {
      const s = (await states.get(node))?.status?.currentState as { interfaces?: { name: string; ipv4?: { address?: unknown[] } }[] } | undefined;
      return s?.interfaces?.find((i) => i.name === "eth0")?.ipv4?.address?.length ? true : undefined;
    });
    const state = (await states.get(node))?.status?.currentState as
      | { interfaces?: { name: string; type?: string; ipv4?: { dhcp?: boolean; address?: { ip: string; "prefix-length": number }[] } }[]; routes?: { running?: { destination?: string; "next-hop-address"?: string; "next-hop-interface"?: string }[] } }
      | undefined;
    expect(state?.interfaces?.length, `${node} reports no NodeNetworkState`);
    const eth0 = state.interfaces.find((i) => i.name === "eth0");
    const gateway = state.routes?.running?.find((r) => r.destination === "0.0.0.0/0");
    expect(eth0?.ipv4?.address?.length && gateway, `${node}'s state lacks eth0's address or the default route`);
    const nics = state.interfaces.filter((i) => i.type !== "loopback").map((i) => i.name).join(", ");
    n.ok(`${node}: ${nics}; eth0 ${eth0.ipv4!.address!.map((a) => `${a.ip}/${a["prefix-length"]}`).join(", ")} (DHCP: ${eth0.ipv4?.dhcp ? "yes" : "no"}); default route via ${gateway["next-hop-address"]} dev ${gateway["next-hop-interface"]}`);
  }
}

/** Applies a policy and follows its rollout with live progress; returns the rollout's result. */
async function rollOut(n: Narrator, kube: Kube, kubectl: (args: string[], input?: string) => Promise<{ code: number }>, name: string, yaml: string): Promise<RolloutResult> {
  n.say(yaml.trimEnd().split("\n").map((l) => `    ${l}`).join("\n"));
  expect((await kubectl(["apply", "-f", "-"], yaml)).code === 0, `kubectl apply of ${name} failed`);
  n.say(`$ nodenet rollout status ${name}`);
  const result = await followRollout(kube, name, { timeoutMs: 180_000, tty: false, write: (line) => n.progress(line.trimEnd()) });
  n.endProgress();
  return result;
}

async function configure(n: Narrator, kube: Kube, kubectl: (args: string[], input?: string) => Promise<{ code: number }>, labExec: (node: string, argv: string[]) => Promise<{ stdout: string }>) {
  n.step(2, "Configure: a bridge on eth1 with a per-node address, one node at a time");
  n.say("The policy puts eth1 under a new bridge br1. The bridge copies eth1's MAC (captured from each node's own");
  n.say("state), so the lab's DHCP reservation gives every node its own storage address. maxUnavailable: 1 —");
  n.say("one node at a time — and revertOnDelete: deleting the policy would undo it on every node.");
  const enactments = enactmentClient(kube);
  const progressing = new Set<string>();
  let most = 0;
  const watch = new Informer(kube.config, resourceSource(enactments, { labelSelector: `nmstate.io/policy=${STORAGE_POLICY}` }), (e) => {
    const node = e.object.metadata.labels?.["nmstate.io/node"] ?? "";
    if (e.type !== "deleted" && currentPhase(e.object.status?.conditions) === "Progressing") progressing.add(node);
    else progressing.delete(node);
    most = Math.max(most, progressing.size);
  });
  await watch.start();
  const started = Date.now();
  try {
    const result = await rollOut(n, kube, kubectl, STORAGE_POLICY, storageBridge);
    expect(result.kind === "available", `the storage bridge did not roll out: ${JSON.stringify(result)}`);
    const ms = Date.now() - started;
    n.ok(`${result.message} in ${seconds(ms)}; never more than ${most} node${most === 1 ? "" : "s"} changing at once`);
    expect(most <= 1, `maxUnavailable 1 was exceeded: ${most} nodes progressed at once`);
    await kubectl(["get", "nnce", "-l", `nmstate.io/policy=${STORAGE_POLICY}`]);
    for (const [i, node] of NODES.entries()) {
      const out = await labExec(node, ["ip", "-br", "-4", "address", "show", "br1"]);
      expect(out.stdout.includes(`${dataAddress(i + 1)}/24`), `${node}'s br1 lacks ${dataAddress(i + 1)}`);
    }
    return { ms, most };
  } finally {
    await watch.stop();
  }
}

async function breakIt(
  n: Narrator,
  kube: Kube,
  kubectl: (args: string[], input?: string) => Promise<{ code: number; stdout: string }>,
  labExec: (node: string, argv: string[]) => Promise<{ stdout: string }>,
  lab: string,
) {
  n.step(3, "Break: eth0 under a bridge that has no IP configuration");
  n.say("The classic mistake. eth0 holds each node's address and default route; a bridge on top of it without");
  n.say("IP configuration takes them away. kubectl warns (admission) but accepts it; the first node tries it.");
  const started = Date.now();
  const result = await rollOut(n, kube, kubectl, MGMT_POLICY, brokenMgmtBridge);
  expect(result.kind === "degraded", `the broken policy was expected to be Degraded, got ${JSON.stringify(result)}`);
  const ms = Date.now() - started;
  const failing = result.failures.filter((f) => f.phase === "Failing");
  const aborted = result.failures.filter((f) => f.phase === "Aborted");
  expect(failing.length === 1 && aborted.length === 2, `expected one failing and two aborted nodes: ${JSON.stringify(result.failures)}`);
  const failed = failing[0]!.node;
  n.ok(`policy Degraded in ${seconds(ms)}: ${result.message}`);
  n.ok(`${failed}: ${failing[0]!.message}`);
  for (const a of aborted) n.ok(`${a.node}: ${a.message}`);
  const enactment = await enactmentClient(kube).get(`${failed}.${MGMT_POLICY}`);
  const rollbackMs = enactment ? progressingMs(enactment) : undefined;
  await kubectl(["get", "nncp", MGMT_POLICY]);
  await kubectl(["get", "nnce", "-l", `nmstate.io/policy=${MGMT_POLICY}`]);
  n.say(`Every node is reachable: ${failed} rolled back by itself, the others never changed.`);
  await labExec(failed, ["ip", "-br", "-4", "address", "show", "eth0"]);
  for (const node of NODES) {
    const api = await checkApiReachable(lab, node);
    expect(api.ok, `${node} cannot reach the API server after the rollback: ${api.detail}`);
  }
  const nodes = await until("every node Ready", 60_000, async () => {
    const list = await kube.core.listNode();
    return list.items.every((x) => isNodeReady(NodeSchema.parse(JSON.parse(JSON.stringify(x))))) ? list.items.length : undefined;
  });
  await kubectl(["get", "nodes"]);
  n.ok(`${nodes} nodes Ready, each reaching the API server through the simulated network`);
  return { ms, failed, rollbackMs };
}

async function fix(n: Narrator, kube: Kube, kubectl: (args: string[], input?: string) => Promise<{ code: number }>, labExec: (node: string, argv: string[]) => Promise<{ stdout: string }>): Promise<number> {
  n.step(4, "Fix: the same bridge, taking over DHCP from eth0");
  n.say("One line more — ipv4: {enabled: true, dhcp: true} on the bridge — and it rolls out everywhere.");
  const started = Date.now();
  const result = await rollOut(n, kube, kubectl, MGMT_POLICY, fixedMgmtBridge);
  expect(result.kind === "available", `the fixed policy did not roll out: ${JSON.stringify(result)}`);
  const ms = Date.now() - started;
  n.ok(`${result.message} in ${seconds(ms)}`);
  for (const node of NODES) {
    const out = await labExec(node, ["ip", "-br", "-4", "address", "show", "br0"]);
    expect(/192\.0\.2\.10\d\/24/.test(out.stdout), `${node}'s br0 has no management address`);
  }
  return ms;
}

async function driftIt(n: Narrator, kube: Kube, kubectl: (args: string[]) => Promise<{ stdout: string }>, labExec: (node: string, argv: string[]) => Promise<{ stdout: string }>, lab: string): Promise<number> {
  n.step(5, "Drift: someone changes a node by hand");
  n.say("An operator removes node-2's storage address. nodenet sees the kernel change and puts it back.");
  const started = Date.now();
  await labExec("node-2", ["ip", "address", "flush", "dev", "br1", "scope", "global"]);
  await until("node-2's storage address to come back", 60_000, async () => {
    const out = await quietExec(lab, "node-2", ["ip", "-br", "-4", "address", "show", "br1"]);
    return out.includes(`${dataAddress(2)}/24`) ? true : undefined;
  });
  const ms = Date.now() - started;
  await labExec("node-2", ["ip", "-br", "-4", "address", "show", "br1"]);
  n.ok(`restored after ${seconds(ms)}`);
  const events = await until("a DriftCorrected event", 30_000, async () => {
    const list = await kube.events.listNamespacedEvent({ namespace: "default" });
    return list.items.some((e) => e.reason === "DriftCorrected") ? true : undefined;
  });
  expect(events, "no DriftCorrected event");
  await kubectl(["get", "events", "-n", "default", "--field-selector", "reason=DriftCorrected"]);
  return ms;
}

/** Runs a command in a node's namespace without narrating it (for polling). */
function quietExec(lab: string, node: string, argv: string[]): Promise<string> {
  return new Promise((resolve) => execFile("ip", ["netns", "exec", nodeNetns(lab, Number(node.slice(5))), ...argv], (_e, stdout) => resolve(stdout)));
}
