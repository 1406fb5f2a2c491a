/**
 * The handler's Prometheus metrics and its health endpoints:
 *   GET /metrics  — counters and histograms below
 *   GET /healthz  — the process runs (liveness)
 *   GET /readyz   — informers synced and the node known (readiness)
 * One registry per handler, passed in: no global default registry.
 */
import { createServer, type Server } from "node:http";
import { Counter, Histogram, Registry } from "prom-client";

export class HandlerMetrics {
  readonly registry = new Registry();
  readonly applies: Counter<"result">;
  readonly rollbacks: Counter<"reason">;
  readonly probeDuration: Histogram<"probe" | "result">;
  readonly driftCorrections: Counter<"result">;
  readonly nnsWrites: Counter;

  constructor(node: string) {
    this.registry.setDefaultLabels({ node });
    this.applies = new Counter({ name: "nodenet_applies_total", help: "Policy applies on this node, by result (success, failed, noop).", labelNames: ["result"], registers: [this.registry] });
    this.rollbacks = new Counter({ name: "nodenet_rollbacks_total", help: "Changes rolled back, by reason (probe-failed, verification-failed, backend-failed, …).", labelNames: ["reason"], registers: [this.registry] });
    this.probeDuration = new Histogram({
      name: "nodenet_probe_duration_seconds",
      help: "How long each probe took after a change, by probe kind and result.",
      labelNames: ["probe", "result"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 20, 60],
      registers: [this.registry],
    });
    this.driftCorrections = new Counter({ name: "nodenet_drift_corrections_total", help: "Drift detected on the host and corrected (or refused as flapping).", labelNames: ["result"], registers: [this.registry] });
    this.nnsWrites = new Counter({ name: "nodenet_nns_writes_total", help: "NodeNetworkState writes (only when the reported state changed).", registers: [this.registry] });
  }
}

export function serveHealth(metrics: HandlerMetrics, port: number, host: string, ready: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
    } else if (req.url === "/healthz") {
      res.writeHead(200);
      res.end("ok\n");
    } else if (req.url === "/readyz") {
      const ok = ready();
      res.writeHead(ok ? 200 : 503);
      res.end(ok ? "ready\n" : "not ready\n");
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
