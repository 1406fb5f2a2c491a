/**
 * A real DHCP/DNS server for tests: dnsmasq inside a test namespace, on one
 * interface (configured as the lab's is, src/lab/network/dnsmasq.ts), with
 * leases and logs in a private directory. Stopped (by its PID) and cleaned up
 * when the test ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { dnsmasqArgs } from "../../src/lab/network/dnsmasq.ts";

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
  /** Also send IPv6 router advertisements (SLAAC, no DHCPv6) for the prefix of `iface`'s global address. */
  routerAdvertisements?: boolean;
  /** Serve DHCPv6 addresses from this range (with router advertisements telling clients to use DHCPv6). */
  dhcp6Range?: [string, string];
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
    const args = [
      "netns", "exec", options.netns, "dnsmasq",
      ...dnsmasqArgs({
        interfaces: [options.iface],
        dhcp: {
          range: options.range,
          ...(options.netmask ? { netmask: options.netmask } : {}),
          router: options.router ?? options.address,
          dns: options.dns ?? options.address,
        },
        ...(options.domain ? { domain: options.domain } : {}),
        records: { localhost: "127.0.0.1", ...options.records },
        leaseFile: join(dir, "leases"),
        pidFile: join(dir, "pid"),
      }),
    ];
    if (options.routerAdvertisements) args.push("--enable-ra", `--dhcp-range=::,constructor:${options.iface},ra-only,64,1h`);
    if (options.dhcp6Range) args.push("--enable-ra", `--dhcp-range=${options.dhcp6Range[0]},${options.dhcp6Range[1]},64,1h`, `--dhcp-option=option6:dns-server,[${options.dhcp6Range[0].replace(/::.*$/, "::1")}]`);
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
