/**
 * Adds nodes to a running lab's network (`nodenet lab add-node`): the next
 * nodes of the same plan (planLabNetwork is deterministic: node-6 of a grown
 * lab is node-6 of a lab made with 6 nodes — names, MACs, switch ports,
 * reserved addresses), cabled to the running switch, with the router's
 * dnsmasq restarted on a configuration that reserves their addresses, and
 * eth0 configured by nodenet as at creation. Recorded before it is made, as
 * create.ts does, so `lab down` removes the new nodes too.
 */
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { NodenetError } from "../../errors.ts";
import { ip, run } from "../../host/kernel/exec.ts";
import { defaultStateDir, resolvConfPath } from "../../host/kernel/paths.ts";
import { configureNode } from "./create.ts";
import { DNSMASQ_STARTED, dnsmasqLines } from "./dnsmasq.ts";
import { labNetworkPaths } from "./paths.ts";
import { labDnsmasqConfig, MAX_NODES, nodeBatch, nodeCableLines, planLabNetwork, type LabNodePlan } from "./plan.ts";
import { isRecordedProcess, startDetached, stopProcesses, waitForLog } from "./processes.ts";
import { readRecord, RecordWriter } from "./record.ts";

export async function growLabNetwork(lab: string, add: number): Promise<LabNodePlan[]> {
  const paths = labNetworkPaths(lab);
  const record = readRecord(paths.stateFile);
  if (!record || record.phase !== "ready") throw new NodenetError("invalid-input", `lab network "${lab}" is not running ('nodenet lab up' creates one)`);
  const before = record.plan.nodes.length;
  if (!Number.isInteger(add) || add < 1 || before + add > MAX_NODES) throw new NodenetError("invalid-input", `a lab has 1–${MAX_NODES} nodes; it has ${before}, so 1–${MAX_NODES - before} can be added, not ${add}`);
  const plan = planLabNetwork(lab, before + add);
  const fresh = plan.nodes.slice(before);
  const writer = RecordWriter.resume(paths.stateFile, record);

  writer.addNamespaces(fresh.map((n) => n.netns));
  writer.addFiles(fresh.flatMap((n) => [dirname(resolvConfPath(n.netns)), defaultStateDir(n.netns)]));
  await run("ip", ["-batch", "-"], { input: fresh.map((n) => `netns add ${n.netns}`).join("\n") + "\n" });
  await ip(plan.namespaces.switch, ["-batch", "-"], { input: fresh.flatMap((n) => nodeCableLines(plan, n)).join("\n") + "\n" });
  await Promise.all(fresh.map((n) => ip(n.netns, ["-batch", "-"], { input: nodeBatch().join("\n") + "\n" })));

  // dnsmasq reads its reservations only at start: a new configuration, a new dnsmasq (the lease file carries the others' leases over).
  writeFileSync(paths.dnsmasqConf, `# lab ${plan.name}: DHCP and DNS on the management and data segments (written by nodenet)\n${dnsmasqLines(labDnsmasqConfig(plan, { leaseFile: paths.dnsmasqLeases, pidFile: paths.dnsmasqPid })).join("\n")}\n`);
  const old = record.processes.find((p) => p.role === "dnsmasq");
  if (old) await stopProcesses([{ pid: old.pid, stillOurs: () => isRecordedProcess(old) }]);
  // Its own log: the old one already says "started".
  const log = `${paths.log("dnsmasq")}.${before + add}`;
  const dnsmasq = startDetached({ role: "dnsmasq", argv: ["dnsmasq", "--keep-in-foreground", `--conf-file=${paths.dnsmasqConf}`], netns: plan.namespaces.router, log, onSpawned: (r) => writer.addProcess(r) });
  await waitForLog(dnsmasq, DNSMASQ_STARTED, 10_000);

  await Promise.all(fresh.map((n) => configureNode(plan, n)));
  writer.setPlan(plan);
  return fresh;
}
