/**
 * Runs probes from inside the namespace this process is in, each polling until
 * it succeeds or its time runs out, all at once.
 */
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { randomInt } from "node:crypto";
import type { ProbeResult, ProbeTarget } from "./types.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ATTEMPT_INTERVAL_MS = 500;

/** Equivalent to: `ping -c 1 -W 1 -I IFACE ADDR`, falling back to the neighbour table (a gateway that drops ICMP still answers ARP/ND). */
function pingOnce(address: string, iface: string, family: 4 | 6): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    execFile("ping", [`-${family}`, "-c", "1", "-W", "1", "-n", "-I", iface, address], { timeout: 3000 }, (error, stdout, stderr) => {
      if (!error) return resolve({ ok: true, detail: "ICMP echo reply" });
      execFile("ip", ["-json", "neigh", "show", "to", address, "dev", iface], { timeout: 3000 }, (e2, out) => {
        const entries = !e2 && out.trim() ? (JSON.parse(out) as { state?: string[] }[]) : [];
        if (entries.some((n) => n.state?.includes("REACHABLE"))) return resolve({ ok: true, detail: "neighbour reachable" });
        const why = (stderr || stdout).split("\n").find((l) => /unreachable|Network|Cannot|invalid|bind/i.test(l));
        resolve({ ok: false, detail: why?.trim() || "no reply to ARP/ICMP" });
      });
    });
  });
}

function dnsQuery(name: string): Buffer {
  const labels = name.split(".").filter(Boolean);
  const question = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0, 0, 1, 0, 1]), // root label, QTYPE A, QCLASS IN
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(randomInt(0, 0xffff), 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, question]);
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** One UDP query; a NOERROR or NXDOMAIN answer means the server works. */
function dnsOnce(server: string, name: string): Promise<{ ok: boolean; detail: string }> {
  const [address, zone] = server.split("%") as [string, string | undefined];
  const family = address.includes(":") ? "udp6" : "udp4";
  return new Promise((resolve) => {
    const socket = createSocket(family);
    const query = dnsQuery(name);
    const id = query.readUInt16BE(0);
    const done = (result: { ok: boolean; detail: string }) => {
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, detail: "no answer" }), 1000);
    socket.on("error", (error) => done({ ok: false, detail: error.message }));
    socket.on("message", (message) => {
      if (message.length < 4 || message.readUInt16BE(0) !== id) return;
      const rcode = message.readUInt16BE(2) & 0xf;
      const label = RCODES[rcode] ?? `rcode ${rcode}`;
      done({ ok: rcode === 0 || rcode === 3, detail: `answered ${label}` });
    });
    socket.send(query, 53, zone ? `${address}%${zone}` : address);
  });
}

function tcpOnce(host: string, port: number): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1500 });
    const done = (result: { ok: boolean; detail: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.on("connect", () => done({ ok: true, detail: "connected" }));
    socket.on("timeout", () => done({ ok: false, detail: "connection timed out" }));
    socket.on("error", (error: NodeJS.ErrnoException) => done({ ok: false, detail: error.code ?? error.message }));
  });
}

async function attempt(t: ProbeTarget): Promise<{ ok: boolean; detail: string }> {
  switch (t.kind) {
    case "gateway":
      return pingOnce(t.address, t.iface, t.family);
    case "gateway-missing":
      return { ok: false, detail: "no default route any more" };
    case "dns-missing":
      return { ok: false, detail: "no DNS server any more" };
    case "dns":
      return dnsOnce(t.server, t.name);
    case "tcp":
      return tcpOnce(t.host, t.port);
  }
}

export interface ProbeOptions {
  /** Give up after this many attempts (the baseline check before a change). */
  attempts?: number;
  /** Stop trying when this aborts. */
  signal?: AbortSignal;
}

export async function probe(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const started = Date.now();
  let last = { ok: false, detail: "not tried" };
  for (let i = 0; ; i++) {
    last = await attempt(target);
    if (last.ok || target.kind === "gateway-missing" || target.kind === "dns-missing") break;
    if (options.attempts !== undefined && i + 1 >= options.attempts) break;
    if (Date.now() - started + ATTEMPT_INTERVAL_MS >= target.timeoutMs) break;
    if (options.signal?.aborted) {
      last.detail += "; stopped early, another probe had failed";
      break;
    }
    await sleep(ATTEMPT_INTERVAL_MS);
  }
  return { target, ok: last.ok, detail: last.detail, elapsedMs: Date.now() - started };
}

/**
 * Runs every probe at once. With `failFast`, the first definite failure stops
 * the others (their last attempt's result is reported): a change that lost
 * its gateway is rolled back at once, not after every other probe's timeout.
 */
export async function probeAll(targets: readonly ProbeTarget[], options: ProbeOptions & { failFast?: boolean } = {}): Promise<ProbeResult[]> {
  const stop = new AbortController();
  return Promise.all(
    targets.map(async (t) => {
      const result = await probe(t, { ...options, signal: stop.signal });
      if (!result.ok && options.failFast) stop.abort();
      return result;
    }),
  );
}
