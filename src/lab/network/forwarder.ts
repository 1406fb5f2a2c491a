/**
 * A byte-stream relay: accepts connections on one endpoint and joins each to a
 * new connection to another. The lab runs two of them so nodes reach the API
 * server only through the simulated network, without the host's own network
 * being touched:
 *
 *   node ns ──TCP──▶ [edge ns] 192.0.2.2:6443 ══ Unix socket ══▶ [host] ──TCP──▶ 127.0.0.1:PORT
 *
 *   node src/lab/network/forwarder.ts --listen tcp:192.0.2.2:6443 --connect unix:/run/nodenet/lab/L/network/api.sock
 *   node src/lab/network/forwarder.ts --listen unix:/run/nodenet/lab/L/network/api.sock --connect tcp:127.0.0.1:PORT
 *
 * Contract: any number of concurrent, arbitrarily long-lived connections (API
 * watches); byte-exact in both directions with backpressure; a half-close
 * (FIN) is passed on and the other direction keeps flowing; an error or reset
 * on either side closes both sides of that connection only; a refused or
 * failed upstream connection closes the accepted one; a TCP peer that vanished
 * without a FIN is found by keepalive; nothing a peer does stops the
 * forwarder. It prints `listening on …` when ready and exits 0 on
 * SIGTERM/SIGINT.
 */
import { createServer, connect, type Socket } from "node:net";
import { rmSync, statSync } from "node:fs";

const KEEPALIVE_IDLE_MS = 30_000;

export type Endpoint = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

/** `tcp:HOST:PORT`, `tcp:[V6]:PORT` or `unix:/path` (port 0: any free port, for tests). */
export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (!path.startsWith("/")) throw new Error(`unix endpoint needs an absolute path: ${text}`);
    return { kind: "unix", path };
  }
  const m = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 0 || port > 65535) throw new Error(`endpoint must be tcp:HOST:PORT or unix:/path, not "${text}"`);
  return { kind: "tcp", host: (m[1] ?? m[2])!, port };
}

export function formatEndpoint(e: Endpoint): string {
  return e.kind === "unix" ? `unix:${e.path}` : `tcp:${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
}

export interface Forwarder {
  /** Where it listens (with the port the kernel chose for `tcp:HOST:0`). */
  listening(): Endpoint;
  close(): Promise<void>;
  /** Connections being relayed now. */
  active(): number;
}

/** Logs at most one line per distinct message every 10 s (a down API server would otherwise flood the log). */
function rateLimitedLog(write: (line: string) => void): (message: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (message) => {
    const now = Date.now();
    const seen = last.get(message);
    if (seen && now - seen.at < 10_000) {
      seen.suppressed++;
      return;
    }
    const extra = seen?.suppressed ? ` (${seen.suppressed} more since last report)` : "";
    last.set(message, { at: now, suppressed: 0 });
    write(`${new Date().toISOString()} ${message}${extra}`);
  };
}

/** Joins two sockets: data and FIN pass through each way; an error on either ends both. */
function relay(a: Socket, b: Socket, onDone: () => void, log: (m: string) => void): void {
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    onDone();
  };
  const fail = (side: string) => (error: NodeJS.ErrnoException) => {
    // ECONNRESET/EPIPE are peers going away; only the unexpected is worth a line.
    if (error.code !== "ECONNRESET" && error.code !== "EPIPE") log(`${side}: ${error.code ?? error.message}`);
    a.destroy();
    b.destroy();
  };
  a.on("error", fail("client"));
  b.on("error", fail("upstream"));
  // A socket closes by itself once both directions have ended (allowHalfOpen); a close
  // with an error, or a destroy, must take the other side with it.
  a.on("close", (hadError) => {
    if (hadError || !a.readableEnded) b.destroy();
    if (b.closed) finish();
  });
  b.on("close", (hadError) => {
    if (hadError || !b.readableEnded) a.destroy();
    if (a.closed) finish();
  });
  a.pipe(b);
  b.pipe(a);
}

export function startForwarder(listen: Endpoint, target: Endpoint, options: { log?: (line: string) => void } = {}): Promise<Forwarder> {
  const log = rateLimitedLog(options.log ?? ((line) => process.stderr.write(line + "\n")));
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    sockets.add(client);
    const upstream = target.kind === "unix" ? connect({ path: target.path, allowHalfOpen: true }) : connect({ host: target.host, port: target.port, allowHalfOpen: true });
    sockets.add(upstream);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      // A node that loses its network never sends a FIN: keepalive finds such connections
      // (~40 s) so the API server's end of a dead watch is closed too.
      s.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    }
    const cleanup = () => {
      sockets.delete(client);
      sockets.delete(upstream);
    };
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      relay(client, upstream, cleanup, log);
      client.resume();
    });
    upstream.once("error", (error: NodeJS.ErrnoException) => {
      if (connected) return;
      log(`cannot reach ${formatEndpoint(target)}: ${error.code ?? error.message}`);
      client.destroy();
      cleanup();
    });
    // The client may go away while we are still connecting upstream.
    client.once("error", () => {
      if (connected) return;
      upstream.destroy();
      cleanup();
    });
    client.once("close", () => {
      if (!connected) {
        upstream.destroy();
        cleanup();
      }
    });
  });
  server.on("error", (error) => log(`listener: ${error.message}`));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const ready = () => {
      server.off("error", reject);
      const bound = server.address();
      resolve({
        listening: () => (listen.kind === "tcp" && bound && typeof bound === "object" ? { ...listen, port: bound.port } : listen),
        active: () => Math.floor(sockets.size / 2),
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    };
    if (listen.kind === "unix") {
      removeStaleSocket(listen.path);
      server.listen(listen.path, ready);
    } else {
      server.listen({ host: listen.host, port: listen.port }, ready);
    }
  });
}

function removeStaleSocket(path: string): void {
  try {
    if (statSync(path).isSocket()) rmSync(path);
  } catch {
    // nothing there
  }
}

function argument(argv: string[], name: string): string {
  const i = argv.indexOf(name);
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (!value) throw new Error(`usage: forwarder.ts --listen tcp:HOST:PORT|unix:/path --connect tcp:HOST:PORT|unix:/path (missing ${name})`);
  return value;
}

if (import.meta.main) {
  try {
    const listen = parseEndpoint(argument(process.argv, "--listen"));
    const target = parseEndpoint(argument(process.argv, "--connect"));
    const forwarder = await startForwarder(listen, target, { log: (line) => process.stdout.write(line + "\n") });
    const stop = () => {
      void forwarder.close().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 1000).unref();
    };
    // Before the announcement: whoever waits for it may signal us at once.
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.stdout.write(`${new Date().toISOString()} listening on ${formatEndpoint(listen)}, forwarding to ${formatEndpoint(target)}\n`);
    // A relay bug must cost one connection, never the forwarder that every node depends on.
    process.on("uncaughtException", (error) => process.stdout.write(`${new Date().toISOString()} uncaught: ${error.stack ?? error.message}\n`));
  } catch (error) {
    process.stderr.write(`forwarder: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
