/**
 * The lab's TCP ⇄ Unix-socket relay, chained as the lab chains it
 * (TCP → forwarder → Unix socket → forwarder → TCP echo server), all on
 * 127.0.0.1 and a temporary directory: no root, no namespaces.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { formatEndpoint, parseEndpoint, startForwarder, type Forwarder } from "./forwarder.ts";

const listenOn = (server: Server, port = 0) => new Promise<number>((r) => server.listen(port, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

/** Sends `data`, half-closes, and collects everything until the other side's FIN. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on("error", reject);
    socket.end(data);
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("forwarder", () => {
  let dir: string;
  let echo: Server;
  let echoPort: number;
  let front: Forwarder;
  let back: Forwarder;
  let frontPort: number;
  const logs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "nodenet-fwd-"));
    echo = createServer({ allowHalfOpen: true }, (s) => {
      s.on("error", () => undefined);
      s.pipe(s);
    });
    echoPort = await listenOn(echo);
    const sock = join(dir, "api.sock");
    back = await startForwarder({ kind: "unix", path: sock }, { kind: "tcp", host: "127.0.0.1", port: echoPort }, { log: (l) => logs.push(l) });
    front = await startForwarder({ kind: "tcp", host: "127.0.0.1", port: 0 }, { kind: "unix", path: sock }, { log: (l) => logs.push(l) });
    frontPort = (front.listening() as { port: number }).port;
  });

  after(async () => {
    await front?.close();
    await back?.close();
    if (echo?.listening) await close(echo);
    rmSync(dir, { recursive: true, force: true });
  });

  test("endpoints parse and print", () => {
    assert.deepEqual(parseEndpoint("tcp:192.0.2.2:6443"), { kind: "tcp", host: "192.0.2.2", port: 6443 });
    assert.deepEqual(parseEndpoint("tcp:[2001:db8::1]:443"), { kind: "tcp", host: "2001:db8::1", port: 443 });
    assert.deepEqual(parseEndpoint("unix:/run/x.sock"), { kind: "unix", path: "/run/x.sock" });
    assert.equal(formatEndpoint(parseEndpoint("tcp:[2001:db8::1]:443")), "tcp:[2001:db8::1]:443");
    for (const bad of ["tcp:host", "tcp:h:x", "tcp:h:70000", "unix:relative", "udp:h:1", ""]) assert.throws(() => parseEndpoint(bad), /endpoint/);
  });

  test("a large transfer is byte-exact in both directions, with the half-close passed on", async () => {
    const data = randomBytes(32 << 20);
    const back = await roundTrip(frontPort, data);
    assert.equal(back.length, data.length);
    assert.equal(sha(back), sha(data));
  });

  test("many concurrent connections each get their own bytes back", async () => {
    const payloads = Array.from({ length: 300 }, (_, i) => randomBytes(1024 + i * 37));
    const results = await Promise.all(payloads.map((p) => roundTrip(frontPort, p)));
    results.forEach((r, i) => assert.ok(r.equals(payloads[i]!), `connection ${i}`));
    // Finished connections are forgotten.
    for (let i = 0; i < 50 && (front.active() || back.active()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(front.active(), 0);
    assert.equal(back.active(), 0);
  });

  test("a long-lived connection keeps working across idle time and other traffic", async () => {
    const socket = connect({ host: "127.0.0.1", port: frontPort });
    await new Promise((r) => socket.once("connect", r));
    const ask = (text: string) =>
      new Promise<string>((resolve) => {
        let got = "";
        const onData = (d: Buffer) => {
          got += d.toString();
          if (got.length >= text.length) {
            socket.off("data", onData);
            resolve(got);
          }
        };
        socket.on("data", onData);
        socket.write(text);
      });
    assert.equal(await ask("first\n"), "first\n");
    await new Promise((r) => setTimeout(r, 1500));
    await roundTrip(frontPort, randomBytes(1 << 20));
    assert.equal(await ask("second\n"), "second\n");
    socket.destroy();
  });

  test("a client that resets mid-transfer costs only its own connection", async () => {
    const socket: Socket = connect({ host: "127.0.0.1", port: frontPort });
    socket.on("error", () => undefined);
    await new Promise((r) => socket.once("connect", r));
    socket.write(randomBytes(4 << 20));
    socket.resetAndDestroy();
    const data = randomBytes(100_000);
    assert.ok((await roundTrip(frontPort, data)).equals(data));
    for (let i = 0; i < 100 && (front.active() || back.active()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(front.active() + back.active(), 0, "the reset connection's upstream side is closed too");
  });

  test("a server that half-closes first still receives what the client sends afterwards", async () => {
    let received = "";
    const greeter = createServer({ allowHalfOpen: true }, (s) => {
      s.end("hello, then I only listen\n");
      s.on("data", (d: Buffer) => (received += d.toString()));
      s.on("end", () => s.destroy());
    });
    const greeterPort = await listenOn(greeter);
    const relay = await startForwarder({ kind: "tcp", host: "127.0.0.1", port: 0 }, { kind: "tcp", host: "127.0.0.1", port: greeterPort });
    const relayPort = (relay.listening() as { port: number }).port;
    try {
      const socket = connect({ host: "127.0.0.1", port: relayPort, allowHalfOpen: true });
      let greeting = "";
      socket.on("data", (d: Buffer) => (greeting += d.toString()));
      await new Promise((r) => socket.once("end", r));
      assert.equal(greeting, "hello, then I only listen\n");
      socket.end("still talking after your FIN\n");
      await new Promise((r) => socket.once("close", r));
      for (let i = 0; i < 50 && !received; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(received, "still talking after your FIN\n");
    } finally {
      await relay.close();
      await close(greeter);
    }
  });

  test("with the upstream down, connections are closed at once and the forwarders carry on", async () => {
    await close(echo);
    const started = Date.now();
    const got = await roundTrip(frontPort, Buffer.from("hello")).catch(() => Buffer.alloc(0));
    assert.equal(got.length, 0);
    assert.ok(Date.now() - started < 2000, "closed promptly, not left hanging");
    assert.ok(logs.some((l) => /cannot reach tcp:127\.0\.0\.1:\d+: ECONNREFUSED/.test(l)), logs.join("\n"));
    echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await listenOn(echo, echoPort);
    const data = randomBytes(10_000);
    assert.ok((await roundTrip(frontPort, data)).equals(data));
  });

  test("runs as a program: says when it listens, exits 0 on SIGTERM, refuses bad arguments", async () => {
    const script = new URL("./forwarder.ts", import.meta.url).pathname;
    const sock = join(dir, "prog.sock");
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", script, "--listen", `unix:${sock}`, "--connect", `tcp:127.0.0.1:${echoPort}`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !out.includes("listening on"); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(out, new RegExp(`listening on unix:${sock}, forwarding to tcp:127\\.0\\.0\\.1:${echoPort}`));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);

    const bad = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", script, "--listen", "tcp:nowhere"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    bad.stderr.on("data", (d: Buffer) => (err += d.toString()));
    assert.equal(await new Promise((r) => bad.once("exit", r)), 2);
    assert.match(err, /endpoint must be/);
  });
});
