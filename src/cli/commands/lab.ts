/**
 * `nodenet lab …`. The lab's modules (and the Kubernetes client they pull in)
 * are imported only when a lab command runs, so they cost the other
 * commands nothing at start-up.
 */
import type { Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { err, out } from "../io.ts";

const DEFAULT_LAB = "nodenet";

interface NameFlag {
  name: string;
}

const nameOption = ["--name <lab>", "the lab's name (default $NODENET_LAB or \"nodenet\")"] as const;
const defaultName = () => process.env.NODENET_LAB || DEFAULT_LAB;

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new NodenetError("invalid-input", `--nodes takes a whole number ≥ 0, not "${value}"`);
  return n;
}

export function registerLab(program: Command): void {
  const lab = program
    .command("lab")
    .description("a whole nodenet system on this machine: a Kubernetes control plane, simulated nodes in network namespaces, handlers and the controller");

  lab
    .command("up")
    .description("start the lab (or reuse it if it runs) and print how to reach it")
    .option(...nameOption)
    .option("--nodes <n>", "simulated nodes (0: the control plane alone)", wholeNumber, 3)
    .option("--kubelet", "nodes run containerd and a real kubelet; the handler runs as deploy/'s DaemonSet from the image scripts/image/build.sh builds")
    .option("--agent", "nodes run a node agent in place of a kubelet and the handler as a plain process (fast; the default)")
    .addHelpText(
      "after",
      `
The first run builds the control plane from Go modules (8–15 minutes on 2
cores); later runs start in seconds. Each node is a network namespace with
eth0 (DHCP from the lab's router, default route) and eth1 cabled to a
simulated switch; its handler runs inside it and reaches the API server only
through that network. State and files live in /run/nodenet/lab/NAME
($NODENET_LAB_ROOT); \`nodenet lab down\` removes everything.

Examples:
  nodenet lab up                      # 3 nodes
  nodenet lab up --nodes 0            # the control plane alone
  kubectl --kubeconfig "$(nodenet lab kubeconfig)" get nns
  nodenet lab exec node-1 -- ip -br addr`,
    )
    .action(async (flags: NameFlag & { nodes: number; kubelet?: boolean; agent?: boolean }) => {
      const { labUp } = await import("../../lab/lab.ts");
      if (flags.kubelet && flags.agent) throw new NodenetError("invalid-input", "--kubelet and --agent exclude each other: pick one way to run the nodes");
      const name = flags.name ?? defaultName();
      const t0 = Date.now();
      const result = await labUp({ name, nodes: flags.nodes, mode: flags.kubelet ? "kubelet" : "agent", progress: (m) => err(`[lab ${name} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`) });
      const cp = result.state.controlPlane!;
      out(`lab "${name}" is ${result.reused ? "already up" : "up"} (${result.seconds.toFixed(1)}s): API server ${cp.server}`);
      out(`  export KUBECONFIG=${cp.kubeconfigs.admin}`);
      out("  kubectl get nncp,nnce,nns");
      if (result.state.nodes.count) out(`  nodenet lab exec node-1 -- ip -br addr     (nodes: node-1 … node-${result.state.nodes.count})`);
      if (result.state.nodes.dashboardUrl) out(`  dashboard: ${result.state.nodes.dashboardUrl}`);
    });

  lab
    .command("down")
    .description("stop every process of the lab and remove every file it made (also after a crash)")
    .option(...nameOption)
    .action(async (flags: NameFlag) => {
      const { labDown } = await import("../../lab/lab.ts");
      const name = flags.name ?? defaultName();
      const existed = await labDown(name, { progress: (m) => err(`[lab ${name}] ${m}`) });
      out(existed ? `lab "${name}" is down` : `no lab "${name}" (nothing to do)`);
    });

  lab
    .command("kubeconfig")
    .description("print the path of the lab's admin kubeconfig")
    .option(...nameOption)
    .action(async (flags: NameFlag) => {
      const { readLabState } = await import("../../lab/state.ts");
      const name = flags.name ?? defaultName();
      const path = readLabState(name)?.controlPlane?.kubeconfigs.admin;
      if (!path) throw new NodenetError("invalid-input", `no lab "${name}" is running; start it with \`nodenet lab up --name ${name}\``);
      out(path);
    });

  lab
    .command("status")
    .description("the lab's control plane, processes and nodes")
    .option(...nameOption)
    .option("--json", "print JSON")
    .action(async (flags: Partial<NameFlag> & { json?: boolean }) => {
      const { labStatus } = await import("../../lab/lab.ts");
      const { listLabs } = await import("../../lab/state.ts");
      const names = flags.name ? [flags.name] : listLabs().length ? listLabs() : [defaultName()];
      const statuses = [];
      for (const name of names) statuses.push((await labStatus(name)) ?? { name, running: false });
      if (flags.json) {
        out(JSON.stringify(flags.name ? statuses[0] : statuses, null, 2));
        return;
      }
      for (const s of statuses) {
        if (!("dir" in s)) {
          out(`lab "${s.name}": not running`);
          continue;
        }
        out(`lab "${s.name}": ${s.healthy ? "healthy" : "NOT healthy (run `nodenet lab down` and `lab up` again)"}`);
        if (s.server) out(`  API server  ${s.server}`);
        if (s.kubeconfig) out(`  kubeconfig  ${s.kubeconfig}`);
        out(`  directory   ${s.dir}`);
        for (const p of s.processes) out(`  ${p.running ? "running" : "STOPPED"} ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} log ${p.log}`);
        out(`  nodes       ${s.nodes.summary}`);
      }
    });

  lab
    .command("demo")
    .description("the whole story on a 3-node lab: report, roll out, break and roll back, fix, drift")
    .option(...nameOption)
    .option("--keep", "leave the lab running afterwards, to explore it")
    .addHelpText(
      "after",
      `
Brings a 3-node lab up (or reuses one), then plays, narrating each step with
the real kubectl commands and their output:
  1. report     each node's network as the cluster sees it (kubectl get nns)
  2. configure  a bridge on eth1 with a per-node address, one node at a time
  3. break      eth0 under a bridge without IP configuration: the first node
                loses its gateway and the API server, rolls back by itself;
                the other nodes abort; every node stays reachable
  4. fix        the same bridge with DHCP: it succeeds everywhere
  5. drift      an address deleted by hand comes back by itself
and prints a summary with the timings. Exits non-zero if any step does not
behave as narrated. Without --keep the lab is removed at the end.`,
    )
    .action(async (flags: NameFlag & { keep?: boolean }) => {
      const { runDemo } = await import("../../lab/demo/demo.ts");
      process.exitCode = await runDemo({ name: flags.name ?? defaultName(), keep: Boolean(flags.keep), write: (t) => process.stdout.write(t), tty: Boolean(process.stdout.isTTY) });
    });

  lab
    .command("exec")
    .description("run a command inside a lab node's network namespace (or router, switch, edge)")
    .argument("<node>", "node-1 … node-N, router, switch or edge")
    .argument("<command...>", "the command and its arguments (after --)")
    .option(...nameOption)
    .addHelpText("after", "\nExamples:\n  nodenet lab exec node-1 -- ip -br addr\n  nodenet lab exec node-2 -- nodenet show eth0")
    .action(async (node: string, command: string[], flags: NameFlag) => {
      const { execInNode } = await import("../../lab/network/index.ts");
      process.exitCode = await execInNode(flags.name ?? defaultName(), node, command);
    });

  lab
    .command("reboot")
    .description("power-cycle a lab node: its processes and kernel state are lost, its persisted record brings its network back")
    .argument("<node>", "node-1 … node-N")
    .option(...nameOption)
    .addHelpText(
      "after",
      `
What happens (as on a real node):
  1. power off: every process of the node is killed (agent, handler, DHCP clients)
  2. power on: its namespace is deleted and made again with the same NICs, MACs
     and switch ports; its runtime state (/run) is empty
  3. boot: 'nodenet boot' applies the record in the node's persistent directory
     (what nodenet committed there), then the agent and the handler start; the
     handler finds its policies' state already on the host and changes nothing

Exit status: that of 'nodenet boot' (0 all applied, 8 partly, 2 bad record).

Example: nodenet lab reboot node-2 && kubectl wait --for=condition=Ready node/node-2`,
    )
    .action(async (node: string, flags: NameFlag) => {
      const { rebootLabNode } = await import("../../lab/reboot.ts");
      const report = await rebootLabNode(flags.name ?? defaultName(), node, err);
      err(report.boot.log.trimEnd());
      err(`${node} rebooted in ${report.ms} ms`);
      process.exitCode = report.boot.code;
    });

  lab
    .command("add-node")
    .description("add nodes to a running lab: the next node-N, made, cabled and started as at 'lab up'")
    .option("--count <n>", "how many nodes to add", "1")
    .option(...nameOption)
    .addHelpText("after", "\nExample: nodenet lab add-node --count 2   # node-6 and node-7 of a 5-node lab")
    .action(async (flags: NameFlag & { count: string }) => {
      const { addLabNodes } = await import("../../lab/add-nodes.ts");
      const added = await addLabNodes(flags.name ?? defaultName(), Number(flags.count), err);
      err(`added ${added.join(", ")}`);
    });

  lab
    .command("node-agent", { hidden: true })
    .requiredOption("--node <name>")
    .requiredOption("--kubeconfig <path>")
    .action(async (flags: { node: string; kubeconfig: string }) => {
      const { connect } = await import("../../cluster/kube/config.ts");
      const { NodeAgent } = await import("../../lab/node-agent.ts");
      const agent = new NodeAgent({ kube: connect(flags.kubeconfig), node: flags.node });
      agent.start();
      await untilSignal();
      await agent.stop();
    });
}

/** Resolves on SIGTERM or SIGINT (long-running commands stop cleanly). */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
}
