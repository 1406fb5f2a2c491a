/**
 * The webhook's HTTPS endpoint:
 *   POST /validate-nncp   AdmissionReview in, AdmissionReview out (review.ts)
 *   GET  /healthz         the process serves
 *   GET  /readyz          it can answer reviews (certificate loaded, caches filled)
 * The certificate can be replaced while serving (`setTls`); connections
 * already open keep the old one until they close.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { KeyPair } from "./certificates.ts";
import { WEBHOOK_PATH } from "./configuration.ts";
import type { Answer } from "./review.ts";

export interface AdmissionServerOptions {
  host: string;
  /** 0: any free port (see `port` after `listen`). */
  port: number;
  tls: KeyPair;
  review: (body: unknown) => Promise<Answer>;
  ready: () => boolean;
  log?: (message: string) => void;
  /** A policy is at most ~1.5 MiB in etcd; a review carries it and the old one. */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Answer 413 once the client has sent it all (it reads the answer only then); keep nothing.
      req.off("data", collect);
      chunks.length = 0;
      req.resume();
      req.once("end", () => reject(new HttpError(413, `request body over ${limit} bytes`)));
    };
    req.on("data", collect);
    req.on("end", () => size <= limit && resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export class AdmissionServer {
  private readonly options: AdmissionServerOptions;
  private readonly server: Server;

  constructor(options: AdmissionServerOptions) {
    this.options = options;
    this.server = createServer({ key: options.tls.key, cert: options.tls.cert, minVersion: "TLSv1.2" }, (req, res) => void this.route(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    // The API server keeps connections to webhooks open; let it.
    this.server.keepAliveTimeout = 60_000;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.options.host, port: this.options.port }, () => {
        this.server.off("error", reject);
        this.server.on("error", (error) => this.options.log?.(`webhook server: ${error.message}`));
        resolve(this.port);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  setTls(tls: KeyPair): void {
    this.server.setSecureContext({ key: tls.key, cert: tls.cert, minVersion: "TLSv1.2" });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "https://webhook").pathname;
    try {
      if (req.method === "GET" && path === "/healthz") return send(res, 200, "ok\n");
      if (req.method === "GET" && path === "/readyz") return this.options.ready() ? send(res, 200, "ok\n") : send(res, 503, "not ready: certificate or caches not loaded yet\n");
      if (path !== WEBHOOK_PATH) throw new HttpError(404, `no such endpoint: ${path}`);
      if (req.method !== "POST") throw new HttpError(405, `${req.method} is not allowed on ${path}`);
      const raw = await readBody(req, this.options.maxBodyBytes ?? 16 << 20);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new HttpError(400, "the body is not JSON");
      }
      const answer = await this.options.review(body);
      send(res, answer.httpStatus, answer.body);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) this.options.log?.(`webhook request failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) send(res, status, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
