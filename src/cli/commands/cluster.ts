/**
 * The long-running cluster components: `nodenet handler` (one per node) and
 * `nodenet controller` (leader-elected). Their modules load only when they run.
 */
import type { Command } from "commander";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Kube } from "../../cluster/kube/config.ts";
import type { Logger } from "../../log/logger.ts";
import { NodenetError } from "../../errors.ts";
import { positiveSeconds } from "../io.ts";
import { untilSignal } from "./lab.ts";
import { LOG_LEVELS, type LogLevel } from "../../log/levels.ts";

const LOG_FORMATS = ["auto", "json", "text"] as const;
type LogFormat = (typeof LOG_FORMATS)[number];

function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw new NodenetError("invalid-input", `${flag} takes one of ${allowed.join(", ")}, not "${value}"`);
    return value as T;
  };
}

/** --log-level and --log-format, shared by the handler and the controller. */
function logOptions(command: Command): Command {
  return command
    .option("--log-level <level>", `the least severe level logged (${LOG_LEVELS.join(", ")})`, choice("--log-level", LOG_LEVELS), "info" as LogLevel)
    .option("--log-format <format>", "json (one object a line), text (readable), or auto: text on a terminal, JSON otherwise (in a pod)", choice("--log-format", LOG_FORMATS), "auto" as LogFormat);
}
import { FAILURE_POLICIES, type FailurePolicy } from "../../cluster/admission/failure-policy.ts";

export function registerCluster(program: Command): void {
  logOptions(program
    .command("handler"))
    .description("run the node handler: report this node's NodeNetworkState and enact the policies that select it")
    .requiredOption("--node <name>", "this node's name (in a DaemonSet: from the downward API, $NODE_NAME)")
    .option("--kubeconfig <path>", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--namespace <ns>", "namespace for Events and Leases", process.env.POD_NAMESPACE ?? "nodenet")
    .option("--state-dir <dir>", "where checkpoints and DHCP state live (default /run/nodenet/handler-NODE)")
    .option("--probe-timeout <seconds>", "default timeout of each probe", positiveSeconds("--probe-timeout"), 20)
    .option("--metrics-port <port>", "serve /metrics, /healthz and /readyz on this port (0: off)", (v: string) => Number(v), 9490)
    .option("--metrics-address <address>", "address to serve them on", "0.0.0.0")
    .option("--exclude <glob...>", "interfaces left out of the NodeNetworkState", ["veth*"])
    .option("--record <file>", "the persisted record every committed change joins, applied by 'nodenet boot' (default /etc/nodenet/state.yml; in a container: a hostPath)")
    .option("--resolv-conf <path>", "the resolver file to manage (in a container: the host's, e.g. /host/etc/resolv.conf)")
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
    .action(async (flags: { node: string; kubeconfig?: string; namespace: string; stateDir?: string; probeTimeout: number; metricsPort: number; metricsAddress: string; exclude: string[]; resolvConf?: string; record?: string; logLevel: LogLevel; logFormat: LogFormat }) => {
      const { connect } = await import("../../cluster/kube/config.ts");
      const { Handler } = await import("../../cluster/handler/handler.ts");
      const { KernelBackend } = await import("../../host/kernel/backend.ts");
      const { watchKernel } = await import("../../host/kernel/events.ts");
      const { createLogger } = await import("../../log/logger.ts");
      const stateDir = flags.stateDir ?? join("/run/nodenet", `handler-${flags.node}`);
      const backend = new KernelBackend({
        stateDir,
        ...(flags.resolvConf ? { resolvConf: flags.resolvConf } : {}),
        ...(flags.record ? { recordFile: flags.record } : {}),
      });
      const handler = new Handler({
        node: flags.node,
        kube: connect(flags.kubeconfig),
        backend,
        // Kernel events are debounced 1 s: one reconcile and one report per burst of changes.
        watchHost: (onChange) => watchKernel(undefined, onChange, { debounceMs: 1_000 }),
        stateDir,
        namespace: flags.namespace,
        probeTimeoutMs: flags.probeTimeout * 1000,
        exclude: flags.exclude,
        log: createLogger({ level: flags.logLevel, format: flags.logFormat, base: { component: "handler" } }),
        ...(flags.metricsPort > 0 ? { metrics: { host: flags.metricsAddress, port: flags.metricsPort } } : {}),
      });
      await handler.start();
      await untilSignal();
      await handler.stop();
    });

  logOptions(program
    .command("controller"))
    .description("run the controller: policy status from enactments, cleanup of orphaned enactments (leader-elected), and the policy admission webhook")
    .option("--kubeconfig <path>", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--namespace <ns>", "namespace of the leader Lease, Events and the webhook's certificate Secret", process.env.POD_NAMESPACE ?? "nodenet")
    .option("--identity <id>", "this candidate's identity for leader election (default: host name + random)")
    .option("--webhook-port <port>", "serve the policy admission webhook (HTTPS) on this port; 0: no webhook", port("--webhook-port"), 0)
    .option("--webhook-address <address>", "address the webhook listens on", "0.0.0.0")
    .option("--webhook-service <name>", "the Service (in --namespace, port 443) the API server reaches the webhook through", "nodenet-webhook")
    .option("--webhook-url <url>", "reach the webhook at this base URL instead of a Service, e.g. https://127.0.0.1:9443 (the lab; /validate-nncp is added)")
    .option("--webhook-timeout <seconds>", "the webhook's timeoutSeconds: the API server refuses a policy whose check takes longer (1-30)", timeoutSeconds, 5)
    .option("--webhook-failure-policy <policy>", "the webhook's failurePolicy: Fail (no policy goes in unchecked while no replica answers) or Ignore (such policies go in unchecked)", choice("--webhook-failure-policy", FAILURE_POLICIES), "Fail" as FailurePolicy)
    .option("--webhook-max-nodes <n>", "check a policy against at most this many distinct node states", positiveInteger("--webhook-max-nodes"), 300)
    .option("--dashboard-port <port>", "serve the read-only web dashboard (HTTP) on this port, on every replica; 0: none", port("--dashboard-port"), 0)
    .option("--dashboard-address <address>", "address the dashboard listens on", "0.0.0.0")
    .addHelpText(
      "after",
      `
Admission (--webhook-port N): every replica serves the webhook; the leader
registers the ValidatingWebhookConfiguration "nodenet" (CA bundle of a
self-managed CA kept in Secret nodenet-webhook-tls) so that kubectl apply of a
policy runs the checks of \`nodenet validate\` — desiredState parsed, captures
tried and the result validated against each selected node's NodeNetworkState —
and is refused with the field path and the nodes it would break. Warnings
(e.g. the management interface left without an address) are printed by
kubectl and the policy is accepted.

failurePolicy is Fail (--webhook-failure-policy): while no replica answers (all stopped, crashing, or
slower than --webhook-timeout), policies cannot be created or changed;
kubectl then says: failed calling webhook "validate.nncp.nodenet.io". Deleting
policies, and status and metadata updates, never wait on the webhook.
Escape hatch when the controller cannot be brought back:
  kubectl delete validatingwebhookconfiguration nodenet
(policies are then let through unchecked; the leader registers the webhook
again as soon as a controller with --webhook-port runs). To turn admission off
for good, run the controllers without --webhook-port (or with 0) and delete it.
See docs/adr/0005-admission-webhook-down.md.

Dashboard (--dashboard-port N): the page \`nodenet dashboard\` serves, here
with the controller's service account (deploy/dashboard.yaml: Service
nodenet-dashboard; reach it with kubectl -n nodenet port-forward
svc/nodenet-dashboard 9480:80). Everyone who can reach the port sees what
that account may list: nodes, policies, enactments, NodeNetworkStates and the
Events in "default" — no Secrets. See docs/dashboard.md.`,
    )
    .action(
      async (flags: {
        kubeconfig?: string;
        namespace: string;
        identity?: string;
        webhookPort: number;
        webhookAddress: string;
        webhookService: string;
        webhookUrl?: string;
        webhookTimeout: number;
        webhookFailurePolicy: FailurePolicy;
        webhookMaxNodes: number;
        logLevel: LogLevel;
        logFormat: LogFormat;
        dashboardPort: number;
        dashboardAddress: string;
      }) => {
        const { createLogger } = await import("../../log/logger.ts");
        const { connect } = await import("../../cluster/kube/config.ts");
        const { Controller } = await import("../../cluster/controller/controller.ts");
        const { urlEndpoint } = await import("../../cluster/admission/configuration.ts");
        const webhook =
          flags.webhookPort > 0
            ? {
                host: flags.webhookAddress,
                port: flags.webhookPort,
                endpoint: flags.webhookUrl
                  ? urlEndpoint(flags.webhookUrl)
                  : { kind: "service" as const, namespace: flags.namespace, name: flags.webhookService, port: 443 },
                timeoutSeconds: flags.webhookTimeout,
                failurePolicy: flags.webhookFailurePolicy,
                maxNodes: flags.webhookMaxNodes,
              }
            : undefined;
        const kube = connect(flags.kubeconfig);
        const log = createLogger({ level: flags.logLevel, format: flags.logFormat, base: { component: "controller" } });
        const controller = new Controller({
          kube,
          namespace: flags.namespace,
          identity: flags.identity ?? `${hostname()}-${randomBytes(3).toString("hex")}`,
          log,
          ...(webhook ? { webhook } : {}),
        });
        // Every replica serves the dashboard, leader or not: it only reads. Started first, so a
        // dashboard that cannot listen stops the controller before it leads or serves the webhook.
        const dashboard = flags.dashboardPort > 0 ? await startControllerDashboard(kube, flags.dashboardAddress, flags.dashboardPort, log.child({ component: "dashboard" })) : undefined;
        controller.start();
        await untilSignal();
        await dashboard?.stop();
        await controller.stop();
      },
    );
}

async function startControllerDashboard(kube: Kube, host: string, port: number, log: Logger) {
  const { Dashboard } = await import("../../dashboard/server.ts");
  const dashboard = new Dashboard({ kube, host, port, identity: "the nodenet controller's service account", log });
  log.info({ url: await dashboard.start() }, "serving the dashboard");
  for (const problem of dashboard.problems) log.warn({ kind: problem.kind }, problem.message);
  return dashboard;
}

/** Parses a port flag (0-65535), naming the flag when the value is not one. */
export function port(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new NodenetError("invalid-input", `${flag} takes a port number (0-65535), not "${value}"`);
    return n;
  };
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new NodenetError("invalid-input", `${flag} takes a whole number of at least 1, not "${value}"`);
    return n;
  };
}

function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 30) throw new NodenetError("invalid-input", `--webhook-timeout takes 1 to 30 seconds (the API server's limit), not "${value}"`);
  return n;
}
