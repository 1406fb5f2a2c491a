/**
 * The admission webhook inside `nodenet controller`.
 *
 * Every replica serves: it loads the shared certificate from the Secret
 * (creating it if it is the first), fills its own caches of Nodes and
 * NodeNetworkStates, then listens; `ready` says when it can answer. Only the
 * leader registers the ValidatingWebhookConfiguration with the CA bundle
 * (`register`, run while leading), and checks it again every minute and
 * whenever the certificate changes — so a configuration deleted by hand comes
 * back when a leader runs, and two replicas never fight over it. Nothing here
 * ever deletes the configuration (docs/adr/0005-admission-webhook-down.md).
 *
 * Each replica re-reads the Secret every `refreshMs` and renews the serving
 * certificate before it expires; the CA stays, so the CA bundle stays valid.
 */
import type { Logger } from "../../log/logger.ts";
import type { Kube } from "../kube/config.ts";
import { Backoff, sleep } from "../kube/backoff.ts";
import { describeApiError } from "../kube/errors.ts";
import { applyWebhookConfiguration, configurationCurrent, DEFAULT_TIMEOUT_SECONDS, endpointHost, readWebhookConfiguration, webhookConfiguration, type WebhookEndpoint } from "./configuration.ts";
import { decidePolicy } from "./decide.ts";
import type { FailurePolicy } from "./failure-policy.ts";
import { NodeStates } from "./node-states.ts";
import { answerReview } from "./review.ts";
import { AdmissionServer } from "./server.ts";
import { ensureWebhookTls, type StoredTls } from "./tls-secret.ts";

export interface WebhookOptions {
  /** Address and port to listen on. */
  host: string;
  port: number;
  /** How the API server reaches it. */
  endpoint: WebhookEndpoint;
  /** The configuration's timeoutSeconds (1–30). */
  timeoutSeconds?: number;
  /** What the API server does with a policy while no replica answers. */
  failurePolicy?: FailurePolicy;
  /** At most this many distinct node states are checked per request. */
  maxNodes?: number;
  /** How often each replica re-reads the certificate Secret, and the leader the configuration. */
  refreshMs?: number;
}

export interface AdmissionWebhookDeps {
  kube: Kube;
  /** Where the certificate Secret lives (the controller's namespace). */
  namespace: string;
  log: Logger;
}

export const DEFAULT_MAX_NODES = 300;

export class AdmissionWebhook {
  readonly options: Required<WebhookOptions>;
  private readonly deps: AdmissionWebhookDeps;
  private readonly nodes: NodeStates;
  private readonly stopper = new AbortController();
  private server: AdmissionServer | undefined;
  private tls: StoredTls | undefined;
  /** Fires "tls" when the certificate or CA changed. */
  private readonly changes = new EventTarget();
  private running: Promise<void> | undefined;
  /** Decisions made, for logs and tests. */
  readonly stats = { allowed: 0, refused: 0, failed: 0 };

  constructor(deps: AdmissionWebhookDeps, options: WebhookOptions) {
    this.deps = deps;
    this.options = { timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, failurePolicy: "Fail", maxNodes: DEFAULT_MAX_NODES, refreshMs: 60_000, ...options };
    this.nodes = new NodeStates(deps.kube, deps.log);
  }

  /** Serving with a certificate and filled caches. */
  get ready(): boolean {
    return this.server !== undefined && this.nodes.synced;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  /** Starts in the background, retrying until it serves (or `stop`). */
  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    // Informers first: a start still waiting for their caches returns once they stop.
    await this.nodes.stop();
    await this.running;
    await this.server?.close();
  }

  private log(message: string, level: "info" | "warn" = "info"): void {
    this.deps.log[level](message);
  }

  private async loadTls(): Promise<void> {
    const next = await ensureWebhookTls({ kube: this.deps.kube, namespace: this.deps.namespace, hosts: [endpointHost(this.options.endpoint)], log: (m) => this.log(m) });
    const changed = !this.tls || this.tls.serving.cert !== next.serving.cert || this.tls.ca.cert !== next.ca.cert;
    this.tls = next;
    if (changed) {
      this.server?.setTls(next.serving);
      this.changes.dispatchEvent(new Event("tls"));
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const backoff = new Backoff({ initialMs: 500, maxMs: 15_000 });
    while (!signal.aborted && !this.server) {
      try {
        if (!this.tls) await this.loadTls();
        await this.nodes.start();
        if (signal.aborted) return;
        const server = new AdmissionServer({
          host: this.options.host,
          port: this.options.port,
          tls: this.tls!.serving,
          review: (body) => this.review(body),
          ready: () => this.ready,
          log: (m) => this.log(m),
        });
        await server.listen();
        this.server = server;
        this.log(`serving on https://${this.options.host}:${server.port}; the API server calls ${describeEndpoint(this.options.endpoint)}`);
      } catch (error) {
        const delay = backoff.next();
        this.log(`cannot serve yet (${describeApiError(error)}); retrying in ${(delay / 1000).toFixed(1)}s`, "warn");
        await sleep(delay, signal);
      }
    }
    while (!signal.aborted) {
      await sleep(this.options.refreshMs, signal);
      if (signal.aborted) break;
      await this.loadTls().catch((error: unknown) => this.log(`re-reading the certificate failed (${describeApiError(error)}); serving the one loaded`, "warn"));
    }
  }

  private review(body: unknown) {
    const started = performance.now();
    return answerReview(body, (request) => {
      try {
        const { decision, summary } = decidePolicy(request, this.nodes.views(), {
          maxStates: this.options.maxNodes,
          // Half the API server's patience: the answer must arrive before it gives up.
          budgetMs: (this.options.timeoutSeconds * 1000) / 2,
        }, this.nodes.policies());
        if (decision.allowed) this.stats.allowed++;
        else this.stats.refused++;
        const who = request.userInfo?.username ? ` by ${request.userInfo.username}` : "";
        this.deps.log.info({ policy: request.name, allowed: decision.allowed, ms: Math.round(performance.now() - started) }, `${summary}${who}${request.dryRun ? " (dry run)" : ""}`);
        return decision;
      } catch (error) {
        this.stats.failed++;
        this.deps.log.error({ policy: request.name, err: error instanceof Error ? error.stack : String(error) }, "checking the policy failed");
        throw error;
      }
    });
  }

  /** Resolves when the certificate changes, after `ms` (if given), or when `signal` or `stop` aborts. */
  private tlsChange(signal: AbortSignal, ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const signals = [signal, this.stopper.signal];
      const done = () => {
        clearTimeout(timer);
        this.changes.removeEventListener("tls", done);
        for (const s of signals) s.removeEventListener("abort", done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.changes.addEventListener("tls", done);
      for (const s of signals) s.addEventListener("abort", done);
      if (signals.some((s) => s.aborted)) done();
    });
  }

  /**
   * While `signal` is not aborted (while leading): keeps the webhook
   * configuration registered with the current CA bundle and endpoint.
   */
  async register(signal: AbortSignal): Promise<void> {
    let registered = "";
    while (!signal.aborted && !this.stopper.signal.aborted) {
      const tls = this.tls;
      if (!tls) {
        await this.tlsChange(signal);
        continue;
      }
      const desired = webhookConfiguration(this.options.endpoint, tls.ca.cert, this.options.timeoutSeconds, this.options.failurePolicy);
      try {
        const live = await readWebhookConfiguration(this.deps.kube);
        if (!configurationCurrent(live, desired)) {
          await applyWebhookConfiguration(this.deps.kube, desired);
          this.log(`${live ? "updated" : "registered"} ValidatingWebhookConfiguration ${String((desired.metadata as { name: string }).name)} (CA bundle injected, endpoint ${describeEndpoint(this.options.endpoint)})`);
        } else if (registered !== tls.ca.cert) {
          this.log("the ValidatingWebhookConfiguration is registered and current");
        }
        registered = tls.ca.cert;
      } catch (error) {
        this.log(`registering the webhook configuration failed (${describeApiError(error)}); retrying`, "warn");
        await sleep(5_000, signal);
        continue;
      }
      // Look again after a while, or at once when the certificate changes.
      await this.tlsChange(signal, this.options.refreshMs);
    }
  }
}

export function describeEndpoint(endpoint: WebhookEndpoint): string {
  return endpoint.kind === "url" ? endpoint.url : `service ${endpoint.namespace}/${endpoint.name}:${endpoint.port}`;
}
