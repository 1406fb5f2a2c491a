/**
 * `nodenet lab reboot NODE`: a power cycle of one lab node. Everything the
 * kernel and the node's processes held is lost; what the node keeps on its
 * "disk" (its persistent directory, src/lab/node-record.ts) survives:
 *
 *   1. every process of the node stops at once (agent, handler, DHCP clients,
 *      a pending change's rollback watchdog) — SIGKILL, as a power cut;
 *   2. its namespace is deleted and made again with the same NICs, MACs and
 *      switch ports; its runtime state (/run) is emptied;
 *   3. its boot sequence runs: `nodenet boot` from the node's persistent
 *      directory, then the agent and the handler.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { NodenetError } from "../errors.ts";
import { KernelBackend } from "../host/kernel/backend.ts";
import { ip, run } from "../host/kernel/exec.ts";
import { readCheckpoint } from "../txn/checkpoint.ts";
import { watchdogAlive } from "../txn/watchdog.ts";
import { emptyNamespace } from "./network/destroy.ts";
import { labPlan } from "./network/node.ts";
import { nodeBatch, nodeCableLines } from "./network/plan.ts";
import { labNodeRecord } from "./node-record.ts";
import { restartLabProcess } from "./nodes.ts";
import { readLabState, writeLabState } from "./state.ts";

export interface RebootReport {
  node: string;
  /** What `nodenet boot` said, and its exit status. */
  boot: { code: number; log: string };
  /** From the power cut to the handler started again. */
  ms: number;
}

const CLI = new URL("../cli/main.ts", import.meta.url).pathname;

function runBoot(args: string[]): Promise<{ code: number; log: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", CLI, "boot", ...args], { timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, log: stdout + stderr });
    });
  });
}

/**
 * What a power cut does to a namespace "machine": every process in it dies at
 * once — with the rollback watchdog of a change applied from outside
 * (--netns), which runs outside it — its kernel state goes with the namespace,
 * and /run (checkpoint, DHCP state) is empty afterwards. Returns how many
 * processes were stopped. The persisted record, on "disk", is untouched.
 */
export async function powerOff(netns: string): Promise<number> {
  const backend = new KernelBackend({ netns });
  const pending = readCheckpoint(backend.checkpointDir);
  const stopped = await emptyNamespace(netns);
  // Only while the PID is still the watchdog the checkpoint recorded (same start time): a recycled PID is someone else's.
  if (pending?.watchdogPid && watchdogAlive(pending)) process.kill(pending.watchdogPid, "SIGKILL");
  await run("ip", ["netns", "delete", netns]);
  rmSync(backend.checkpointDir, { recursive: true, force: true });
  rmSync(backend.stateDir, { recursive: true, force: true });
  return stopped.length + (pending?.watchdogPid ? 1 : 0);
}

/**
 * The kernel destroys a deleted namespace's veths asynchronously: the switch
 * ends of the old cables can linger a moment, and cabling again would find
 * their names taken. They are removed here and waited for.
 */
async function unplugSwitchPorts(switchNetns: string, ports: string[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { stdout } = await ip(switchNetns, ["-json", "link", "show"]);
    const left = (JSON.parse(stdout || "[]") as { ifname: string }[]).map((l) => l.ifname).filter((n) => ports.includes(n));
    if (!left.length) return;
    await ip(switchNetns, ["-force", "-batch", "-"], { input: left.map((p) => `link del ${p}`).join("\n") + "\n" }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the switch ports ${ports.join(", ")} of the old cables would not go away`);
}

export async function rebootLabNode(lab: string, node: string, progress: (line: string) => void = () => undefined): Promise<RebootReport> {
  const plan = labPlan(lab);
  const target = plan.nodes.find((n) => n.name === node);
  if (!target) throw new NodenetError("invalid-input", `lab "${lab}" has no node "${node}"; it has ${plan.nodes.map((n) => n.name).join(", ")}`);
  const state = readLabState(lab);
  if (!state) throw new NodenetError("invalid-input", `there is no lab "${lab}"`);
  if (state.nodes.mode === "kubelet") throw new NodenetError("unsupported", `lab "${lab}" runs kubelets (lab up --kubelet); lab reboot power-cycles only --agent nodes so far`);
  const started = Date.now();

  // 1. Power cut; 2. the same hardware again.
  const stopped = await powerOff(target.netns);
  progress(`${node}: power off (${stopped} processes stopped)`);
  await unplugSwitchPorts(plan.namespaces.switch, target.nics.map((n) => n.switchPort));
  await run("ip", ["netns", "add", target.netns]);
  await ip(target.netns, ["-batch", "-"], { input: nodeBatch().join("\n") + "\n" });
  await ip(plan.namespaces.switch, ["-batch", "-"], { input: nodeCableLines(plan, target).join("\n") + "\n" });
  progress(`${node}: power on (namespace ${target.netns} re-created, ${target.nics.map((n) => `${n.name} ${n.mac}`).join(", ")})`);

  // 3. The boot sequence: the network first, from the node's own disk, then the node's agents.
  const boot = await runBoot(["--netns", target.netns, "--record", labNodeRecord(lab, node)]);
  progress(`${node}: nodenet boot exited ${boot.code}`);
  let nodes = state.nodes;
  const save = (n: typeof nodes) => {
    nodes = n;
    writeLabState({ ...state, nodes: n });
  };
  for (const name of [`agent-${node}`, `handler-${node}`]) {
    if (nodes.processes?.some((p) => p.name === name)) await restartLabProcess(nodes, name, save);
  }
  progress(`${node}: agent and handler started`);
  return { node, boot, ms: Date.now() - started };
}
