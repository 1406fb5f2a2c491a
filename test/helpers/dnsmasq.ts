/**
 * A real DHCP/DNS server for tests: dnsmasq inside a test namespace, on one
 * interface, with leases and logs in a private directory. Stopped (by its
 * PID) and cleaned up when the test ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

export interface DnsmasqOptions {
  netns: string;
  iface: string;
  /** The server's own address (also the router and DNS server it hands out). */
  address: string;
  range: [string, string];
  netmask?: string;
  router?: string;
  dns?: string;
  domain?: string;
  /** Extra `--address=/name/ip` records. */
  records?: Record<string, string>;
}

export class Dnsmasq {
  private readonly child: ChildProcess;
  readonly dir: string;

  private constructor(child: ChildProcess, dir: string) {
    this.child = child;
    this.dir = dir;
  }

  static async start(options: DnsmasqOptions, t?: Pick<TestContext, "after">): Promise<Dnsmasq> {
    const dir = mkdtempSync(join(tmpdir(), "nodenet-dnsmasq-"));
    const records = { localhost: "127.0.0.1", ...options.records };
    const args = [
      "netns", "exec", options.netns, "dnsmasq",
      "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
      `--interface=${options.iface}`, "--bind-interfaces", "--except-interface=lo",
      `--dhcp-range=${options.range[0]},${options.range[1]},${options.netmask ?? "255.255.255.0"},1h`,
      `--dhcp-option=option:router,${options.router ?? options.address}`,
      `--dhcp-option=option:dns-server,${options.dns ?? options.address}`,
      ...(options.domain ? [`--domain=${options.domain}`, `--dhcp-option=option:domain-search,${options.domain}`] : []),
      ...Object.entries(records).map(([name, ip]) => `--address=/${name}/${ip}`),
      `--dhcp-leasefile=${join(dir, "leases")}`, `--pid-file=${join(dir, "pid")}`, "--log-facility=-", "--log-dhcp",
      "--dhcp-authoritative",
    ];
    const child = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    const server = new Dnsmasq(child, dir);
    t?.after(() => server.stop());
    for (let i = 0; i < 50 && !log.includes("started"); i++) {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!log.includes("started")) throw new Error(`dnsmasq did not start: ${log}`);
    return server;
  }

  leases(): string {
    const file = join(this.dir, "leases");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (this.child.exitCode === null) this.child.kill("SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
