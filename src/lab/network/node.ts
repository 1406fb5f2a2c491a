/**
 * Working with a lab node from the outside: run a command in it (`nodenet lab
 * exec node-1 -- ip -br addr`), check that it reaches the API server through
 * the simulated network, pull and plug its cables at the switch.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { NodenetError } from "../../errors.ts";
import { ip } from "../../host/kernel/exec.ts";
import { runProbes } from "../../probe/runner.ts";
import type { ProbeResult } from "../../probe/types.ts";
import { labNetworkPaths } from "./paths.ts";
import { checkLabName, type LabNetworkPlan } from "./plan.ts";
import { readRecord } from "./record.ts";

/** The lab's plan from its state file; an `invalid-input` error when there is no such lab. */
export function labPlan(lab: string): LabNetworkPlan {
  checkLabName(lab);
  const record = readRecord(labNetworkPaths(lab).stateFile);
  if (!record) throw new NodenetError("invalid-input", `there is no lab network "${lab}" ('nodenet lab up' creates one)`);
  return record.plan;
}

/** Infrastructure namespaces `lab exec` also accepts besides node names. */
const INFRASTRUCTURE = { router: "router", switch: "switch", edge: "edge" } as const;

/** The namespace of `target`: a node name (`node-1`), or `router`, `switch`, `edge`. */
export function labTargetNetns(lab: string, target: string): string {
  const plan = labPlan(lab);
  const node = plan.nodes.find((n) => n.name === target);
  if (node) return node.netns;
  if (target in INFRASTRUCTURE) return plan.namespaces[INFRASTRUCTURE[target as keyof typeof INFRASTRUCTURE]];
  const known = [...plan.nodes.map((n) => n.name), ...Object.keys(INFRASTRUCTURE)];
  throw new NodenetError("invalid-input", `lab "${lab}" has no node "${target}"; it has ${known.join(", ")}`);
}

/**
 * Runs argv inside the target's namespace with the caller's stdio, through
 * `ip netns exec` (so /etc/netns/NS/resolv.conf is the resolver it sees).
 * Resolves to the command's exit status; a command killed by a signal gives
 * 128 + the signal number, as shells report it.
 */
export async function execInNode(lab: string, target: string, argv: readonly string[]): Promise<number> {
  if (!argv.length) throw new NodenetError("invalid-input", "no command given to run in the node");
  const netns = labTargetNetns(lab, target);
  const child = spawn("ip", ["netns", "exec", netns, ...argv], { stdio: "inherit" });
  // The terminal sends ^C and ^\\ to the child too; we stay to report its status. A TERM or HUP aimed at us is passed on.
  const ignore = () => undefined;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", ignore).on("SIGQUIT", ignore).on("SIGTERM", forward).on("SIGHUP", forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    process.off("SIGINT", ignore).off("SIGQUIT", ignore).off("SIGTERM", forward).off("SIGHUP", forward);
  }
}

/**
 * Whether the node reaches the API endpoint (192.0.2.2:6443) through the
 * simulated network: a TCP connection from inside the node's namespace, with
 * nodenet's own probe. It proves the path node → switch → edge forwarder, not
 * that the API server behind it answers.
 */
export async function checkApiReachable(lab: string, node: string, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const plan = labPlan(lab);
  const netns = labTargetNetns(lab, node);
  const [result] = await runProbes(netns, [{ kind: "tcp", host: plan.api.address, port: plan.api.port, timeoutMs: options.timeoutMs ?? 3000 }]);
  return result!;
}

/**
 * Pulls (`plugged: false`) or plugs back a node's cable at the switch: the
 * switch port goes down, so the node's NIC loses carrier, as with a real cable.
 * Equivalent to: `ip -n L-sw link set nI-mgmt down|up`
 */
export async function setNodeCable(lab: string, node: string, nic: "eth0" | "eth1", plugged: boolean): Promise<void> {
  const plan = labPlan(lab);
  const n = plan.nodes.find((x) => x.name === node);
  if (!n) throw new NodenetError("invalid-input", `lab "${lab}" has no node "${node}"`);
  const port = n.nics.find((c) => c.name === nic)!.switchPort;
  await ip(plan.namespaces.switch, ["link", "set", port, plugged ? "up" : "down"]);
}
