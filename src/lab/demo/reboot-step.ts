/**
 * The demo's reboot step: a node the policies configured is power-cycled
 * (`nodenet lab reboot`) and must come back Ready with br0's DHCP address and
 * br1's address from its persisted record, before its handler even starts.
 */
import { execFile } from "node:child_process";
import type { Kube } from "../../cluster/kube/config.ts";
import { nodeNetns, dataAddress } from "../network/index.ts";
import { DemoError, expect, type Narrator } from "./narrator.ts";

const NODENET = new URL("../../../bin/nodenet", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quiet(lab: string, node: string, argv: string[]): Promise<string> {
  return new Promise((resolve) => execFile("ip", ["netns", "exec", nodeNetns(lab, Number(node.slice(5))), ...argv], (_e, stdout) => resolve(stdout)));
}

/** Returns the time from the power cut to the Node Ready again, with its network. */
export async function rebootStep(n: Narrator, kube: Kube, lab: string, kubectl: (args: string[]) => Promise<{ stdout: string }>, labExec: (node: string, argv: string[]) => Promise<{ stdout: string }>, step: number): Promise<number> {
  const node = "node-3";
  n.step(step, `Reboot: ${node} loses power`);
  n.say(`Everything ${node}'s kernel and processes held is lost: its bridges, addresses, DHCP clients, handler.`);
  n.say("nodenet persisted every committed change on the node's disk; 'nodenet boot' applies it before the handler starts.");
  const br0Before = await quiet(lab, node, ["ip", "-br", "-4", "address", "show", "br0"]);
  const started = Date.now();
  const reboot = await n.run(`nodenet lab reboot ${node}${lab === "nodenet" ? "" : ` --name ${lab}`}`, NODENET, ["lab", "reboot", node, "--name", lab]);
  expect(reboot.code === 0, `nodenet lab reboot ${node} exited ${reboot.code}`);
  let ready = 0;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline && !ready; await sleep(250)) {
    const condition = (await kube.core.readNode({ name: node }).catch(() => undefined))?.status?.conditions?.find((c) => c.type === "Ready");
    const beat = condition?.lastHeartbeatTime ? new Date(condition.lastHeartbeatTime).getTime() : 0;
    if (condition?.status === "True" && beat >= started - 1000) ready = Date.now();
  }
  if (!ready) throw new DemoError(`${node} did not become Ready within 120 s of its reboot`);
  const ms = ready - started;
  const br0 = await labExec(node, ["ip", "-br", "-4", "address", "show", "br0"]);
  const br1 = await labExec(node, ["ip", "-br", "-4", "address", "show", "br1"]);
  expect(br0.stdout.split(/\s+/)[2] && br0.stdout.split(/\s+/)[2] === br0Before.split(/\s+/)[2], `${node}'s br0 did not get its DHCP address back: ${br0.stdout.trim()}`);
  expect(br1.stdout.includes(`${dataAddress(3)}/24`), `${node}'s br1 did not get its address back: ${br1.stdout.trim()}`);
  await kubectl(["get", "nnce", "-l", `nmstate.io/node=${node}`]);
  n.ok(`${node} Ready ${(ms / 1000).toFixed(1)} s after the power cut, with its network; its handler had nothing to change`);
  return ms;
}
