/**
 * `nodenet dashboard`: the web dashboard, run on your machine with your
 * kubeconfig (the controller serves the same one behind a Service: see
 * `nodenet controller --dashboard-port`).
 */
import type { Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { out } from "../io.ts";
import { port } from "./cluster.ts";
import { untilSignal } from "./lab.ts";

export const DASHBOARD_PORT = 9480;

export const DASHBOARD_HELP = `
Views (the page updates itself from watches, through server-sent events):
  Cluster    every node with the state of each of its policies; every policy
             with its conditions and counts
  Node       the node's network drawn from its NodeNetworkState: NICs, bonds,
             VLANs, bridges and VRFs as a graph with their addresses, the
             default route and DNS, and which policy declared which part
  Rollouts   per policy, a tile per node (Pending, Progressing, Available,
             Failing, Aborted) with the failure reasons, and the rollback,
             abort and drift-correction Events
  Preview    paste or pick a policy: per node, what it would change (the same
             validation and diff as \`nodenet diff\`, against the node's state)

It is read-only: it lists and watches nodes, NodeNetworkStates, policies,
enactments and the Events in "default" — with your credentials, so it shows
what your RBAC lets you see (a kind you may not list is left out, and the
page says so). It never reads Secrets.`;

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("serve the web dashboard (cluster, node networks, live rollouts, policy preview) on localhost, with your kubeconfig")
    .option("--kubeconfig <path>", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--address <address>", "address to listen on (anything but a loopback address exposes your credentials' view of the cluster to the network)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port; the URL is printed)", port("--port"), DASHBOARD_PORT)
    .addHelpText(
      "after",
      `${DASHBOARD_HELP}

Examples:
  nodenet dashboard                                  # then open http://127.0.0.1:${DASHBOARD_PORT}/
  nodenet dashboard --kubeconfig "$(nodenet lab kubeconfig)" --port 0
  kubectl -n nodenet port-forward svc/nodenet-dashboard ${DASHBOARD_PORT}:80   # the controller's copy`,
    )
    .action(async (flags: { kubeconfig?: string; address: string; port: number }) => {
      const { connect } = await import("../../cluster/kube/config.ts");
      const { Dashboard } = await import("../../dashboard/server.ts");
      const { createLogger } = await import("../../log/logger.ts");
      let kube;
      try {
        kube = connect(flags.kubeconfig);
      } catch (error) {
        throw new NodenetError("invalid-input", error instanceof Error ? error.message : String(error));
      }
      const user = kube.config.getCurrentUser()?.name ?? "an unnamed user";
      const dashboard = new Dashboard({ kube, host: flags.address, port: flags.port, identity: `${user} (context ${kube.config.getCurrentContext()})`, log: createLogger({ level: "warn", base: { component: "dashboard" } }) });
      let url: string;
      try {
        url = await dashboard.start();
      } catch (error) {
        await dashboard.stop().catch(() => undefined);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw new NodenetError("invalid-input", `--port ${flags.port}: something already listens on ${flags.address}:${flags.port} (choose another port, or --port 0 for any free one)`);
        if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new NodenetError("invalid-input", `--address ${flags.address}: not an address of this machine`);
        throw new NodenetError("backend-failed", `the dashboard cannot start: ${error instanceof Error ? error.message : String(error)}`);
      }
      out(`dashboard: ${url}  (reading the cluster as ${user}; Ctrl-C stops it)`);
      for (const problem of dashboard.problems) process.stderr.write(`warning: ${problem.message}\n`);
      await untilSignal();
      await dashboard.stop();
    });
}
