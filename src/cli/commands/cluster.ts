/**
 * The long-running cluster components: `nodenet handler` (one per node) and
 * `nodenet controller` (leader-elected). Their modules load only when they run.
 */
import type { Command } from "commander";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { positiveSeconds } from "../io.ts";
import { untilSignal } from "./lab.ts";

export function registerCluster(program: Command): void {
  program
    .command("handler")
    .description("run the node handler: report this node's NodeNetworkState and enact the policies that select it")
    .requiredOption("--node <name>", "this node's name (in a DaemonSet: from the downward API, $NODE_NAME)")
    .option("--kubeconfig <path>", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--namespace <ns>", "namespace for Events and Leases", process.env.POD_NAMESPACE ?? "nodenet")
    .option("--state-dir <dir>", "where checkpoints and DHCP state live (default /run/nodenet/handler-NODE)")
    .option("--probe-timeout <seconds>", "default timeout of each probe", positiveSeconds("--probe-timeout"), 20)
    .option("--metrics-port <port>", "serve /metrics, /healthz and /readyz on this port (0: off)", (v: string) => Number(v), 9490)
    .option("--metrics-address <address>", "address to serve them on", "0.0.0.0")
    .option("--exclude <glob...>", "interfaces left out of the NodeNetworkState", ["veth*"])
    .addHelpText(
      "after",
      `
The handler runs in the node's network namespace (hostNetwork), one per node
(a lock file refuses a second). It writes the NodeNetworkState when the host
really changes (kernel events, debounced), enacts each matching policy a
maxUnavailable slot at a time with probes (gateway, DNS, the API server, the
policy's own spec.probes) and automatic rollback, and re-applies within
seconds when someone changes the node by hand.`,
    )
    .action(async (flags: { node: string; kubeconfig?: string; namespace: string; stateDir?: string; probeTimeout: number; metricsPort: number; metricsAddress: string; exclude: string[] }) => {
      const { connect } = await import("../../cluster/kube/config.ts");
      const { Handler } = await import("../../cluster/handler/handler.ts");
      const handler = new Handler({
        node: flags.node,
        kube: connect(flags.kubeconfig),
        namespace: flags.namespace,
        probeTimeoutMs: flags.probeTimeout * 1000,
        exclude: flags.exclude,
        ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
        ...(flags.metricsPort > 0 ? { metrics: { host: flags.metricsAddress, port: flags.metricsPort } } : {}),
      });
      await handler.start();
      await untilSignal();
      await handler.stop();
    });

  program
    .command("controller")
    .description("run the controller: policy status from enactments, cleanup of orphaned enactments (leader-elected)")
    .option("--kubeconfig <path>", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--namespace <ns>", "namespace of the leader Lease and Events", process.env.POD_NAMESPACE ?? "nodenet")
    .option("--identity <id>", "this candidate's identity for leader election (default: host name + random)")
    .action(async (flags: { kubeconfig?: string; namespace: string; identity?: string }) => {
      const { connect } = await import("../../cluster/kube/config.ts");
      const { Controller } = await import("../../cluster/controller/controller.ts");
      const controller = new Controller({ kube: connect(flags.kubeconfig), namespace: flags.namespace, identity: flags.identity ?? `${hostname()}-${randomBytes(3).toString("hex")}` });
      controller.start();
      await untilSignal();
      await controller.stop();
    });
}
