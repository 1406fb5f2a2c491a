/** Readiness probes for etcd and the API server, over loopback. */
import { readFileSync } from "node:fs";
import { request } from "node:https";

export async function etcdHealthy(clientPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${clientPort}/health`, { signal: AbortSignal.timeout(2_000) });
    return (await response.text()).includes('"health":"true"');
  } catch {
    return false;
  }
}

export interface TlsClient {
  caCert: string;
  cert: string;
  key: string;
}

/** GET PATH on the API server with a client certificate; resolves with status and body, rejects on transport errors. */
export function apiGet(port: number, path: string, tls: TlsClient, timeoutMs = 3_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "GET", ca: readFileSync(tls.caCert), cert: readFileSync(tls.cert), key: readFileSync(tls.key), timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export async function apiServerReady(port: number, tls: TlsClient): Promise<boolean> {
  try {
    const { status, body } = await apiGet(port, "/readyz", tls);
    return status === 200 && body.trim() === "ok";
  } catch {
    return false;
  }
}
