/**
 * The dashboard's HTTP server: the page and its ES modules, the layout
 * library from node_modules, the views as JSON, a server-sent-event stream
 * that pushes the cluster view on every watch event, and the policy preview.
 *
 * Guarantees:
 * - read-only: every route is a GET except the preview, which computes and
 *   writes nothing; the Kubernetes calls are lists and watches only;
 * - a change seen by a watch reaches every open page within one coalescing
 *   delay (`coalesceMs`), with the resourceVersions it carries;
 * - bound to a loopback address it answers only requests whose Host is a
 *   loopback name (a web page elsewhere cannot read it through DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { stringify } from "yaml";
import type { Kube } from "../cluster/kube/config.ts";
import { errorFields, type Logger } from "../log/logger.ts";
import { MAX_PREVIEW_BYTES, previewPolicy } from "./preview.ts";
import { nodeTopology } from "./topology.ts";
import { clusterView } from "./view.ts";
import { ClusterWatch, type Change } from "./watch.ts";

export interface DashboardOptions {
  kube: Kube;
  host: string;
  /** 0: any free port (see `url` after `start`). */
  port: number;
  /** Where the page says its data comes from, e.g. "your kubeconfig (context lab)". */
  identity: string;
  /** Changes within this long after the first of a burst go out as one view. Default 20 ms. */
  coalesceMs?: number;
  log: Logger;
}

const WEB = new URL("./web/", import.meta.url);
const STATIC: Record<string, { file: URL; type: string }> = {
  "/": { file: new URL("index.html", WEB), type: "text/html; charset=utf-8" },
  "/app.js": { file: new URL("app.js", WEB), type: "text/javascript; charset=utf-8" },
  "/views.js": { file: new URL("views.js", WEB), type: "text/javascript; charset=utf-8" },
  "/graph.js": { file: new URL("graph.js", WEB), type: "text/javascript; charset=utf-8" },
  "/style.css": { file: new URL("style.css", WEB), type: "text/css; charset=utf-8" },
};
/** The layout library, served from node_modules as shipped (a UMD bundle that defines the global ELK). */
const ELK = createRequire(import.meta.url).resolve("elkjs/lib/elk.bundled.js");
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const isLoopback = (host: string) => host === "localhost" || host.startsWith("127.") || host === "::1";

export class Dashboard {
  private readonly options: Required<DashboardOptions>;
  private readonly watch: ClusterWatch;
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  url = "";

  constructor(options: DashboardOptions) {
    this.options = { coalesceMs: 20, ...options };
    this.watch = new ClusterWatch({ kube: options.kube, coalesceMs: this.options.coalesceMs, log: options.log, onView: (changes) => this.push(changes) });
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.options.log.error({ method: request.method, url: request.url, ...errorFields(error) }, "request failed");
        if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", "internal error (see the dashboard's log)");
        else response.end();
      });
    });
  }

  /** Fills the caches, then listens. Resolves with the URL. */
  async start(): Promise<string> {
    await this.watch.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.options.host, port: this.options.port }, () => resolve());
    });
    const address = this.server.address();
    const port = typeof address === "object" && address ? address.port : this.options.port;
    const host = this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host === "0.0.0.0" ? "127.0.0.1" : this.options.host;
    this.url = `http://${host}:${port}/`;
    this.heartbeat = setInterval(() => this.broadcast(": keep-alive\n\n"), 15_000);
    return this.url;
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await this.watch.stop();
  }

  get problems() {
    return this.watch.problems;
  }

  private push(changes: Change[]): void {
    if (this.clients.size) this.broadcast(`event: view\ndata: ${JSON.stringify(this.viewPayload(changes))}\n\n`);
  }

  private broadcast(text: string): void {
    for (const client of this.clients) client.write(text);
  }

  private viewPayload(changes: Change[] = []) {
    return { view: clusterView(this.watch.objects()), problems: this.watch.problems, identity: this.options.identity, changes, sentAt: Date.now() };
  }

  private allowedHost(request: IncomingMessage): boolean {
    if (!isLoopback(this.options.host)) return true;
    const host = (request.headers.host ?? "").replace(/:\d+$/, "");
    return LOOPBACK_HOSTS.has(host) || host.startsWith("127.");
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!this.allowedHost(request)) return send(response, 403, "text/plain; charset=utf-8", "this dashboard answers only on localhost");
    const url = new URL(request.url ?? "/", "http://dashboard");
    const path = url.pathname;
    if (request.method === "POST" && path === "/api/preview") return this.preview(request, response);
    if (request.method !== "GET" && request.method !== "HEAD") return send(response, 405, "text/plain; charset=utf-8", "the dashboard is read-only");
    const asset = STATIC[path];
    if (asset) return send(response, 200, asset.type, await readFile(asset.file));
    if (path === "/vendor/elk.bundled.js") return send(response, 200, "text/javascript; charset=utf-8", await readFile(ELK));
    if (path === "/healthz") return send(response, 200, "text/plain; charset=utf-8", "ok\n");
    if (path === "/api/view") return json(response, 200, this.viewPayload());
    if (path === "/api/stream") return this.stream(request, response);
    const node = /^\/api\/nodes\/([^/]+)$/.exec(path);
    if (node) {
      const name = decodeURIComponent(node[1]!);
      const objects = this.watch.objects();
      if (!objects.nodes.some((n) => n.metadata.name === name) && !this.watch.state(name)) return json(response, 404, { error: `no node ${name}` });
      return json(response, 200, nodeTopology(name, this.watch.state(name), objects.enactments));
    }
    const policy = /^\/api\/policies\/([^/]+)\/document$/.exec(path);
    if (policy) {
      const found = this.watch.policy(decodeURIComponent(policy[1]!));
      if (!found) return json(response, 404, { error: `no policy ${decodeURIComponent(policy[1]!)}` });
      const document = { apiVersion: "nmstate.io/v1", kind: "NodeNetworkConfigurationPolicy", metadata: { name: found.metadata.name }, spec: found.spec ?? {} };
      return send(response, 200, "text/yaml; charset=utf-8", stringify(document));
    }
    return send(response, 404, "text/plain; charset=utf-8", "not found");
  }

  private stream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    response.write(`retry: 1000\nevent: view\ndata: ${JSON.stringify(this.viewPayload())}\n\n`);
    this.clients.add(response);
    request.on("close", () => this.clients.delete(response));
  }

  private async preview(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_PREVIEW_BYTES) return json(response, 413, { error: `the document is over ${MAX_PREVIEW_BYTES} bytes` });
      chunks.push(chunk as Buffer);
    }
    const objects = this.watch.objects();
    return json(response, 200, previewPolicy(Buffer.concat(chunks).toString("utf8"), objects.nodes, objects.states));
  }
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    "Content-Type": type,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    // Everything the page needs comes from here; nothing inline, nothing from elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  });
  response.end(body);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, "application/json; charset=utf-8", JSON.stringify(value));
}
