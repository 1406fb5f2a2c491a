/**
 * Dynamic addressing of one target: DHCPv4 (Debian's busybox udhcpc), DHCPv6
 * (ISC dhclient -6), one client per interface and family, started inside the
 * target namespace with nodenet's event hooks; and IPv6 SLAAC (the kernel's
 * own autoconf, switched by sysctl). What is configured is recorded in
 * STATE_DIR/dynamic/IFACE.json; that record — and, for DHCP, a live client
 * holding a lease — is what `show` reports as `dhcp: true` / `autoconf: true`.
 *
 * The clients outlive the nodenet process that started them, as DHCP clients
 * must; `stopAll` ends them (used when a namespace is torn down).
 */
import { processAlive } from "../../process-alive.ts";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DhcpSettings, DynamicAddressing } from "../../state/plan/operations.ts";
import { inNetns, run } from "./exec.ts";
import { resolvConfPath, scriptPath } from "./paths.ts";

export interface LeaseWait {
  /** How long to wait for a DHCP lease before the apply counts as failed. */
  leaseTimeoutMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** No DHCP server answered in time: like a failed probe, the address source is not there. */
export class LeaseTimeoutError extends Error {
  override readonly name = "LeaseTimeoutError";
}


type Family = 4 | 6;

/** How each family's client is run and where its files are. */
const CLIENTS = {
  4: {
    label: "DHCPv4",
    pid: "udhcpc.pid",
    lease: "lease",
    dns: "dns",
    log: "udhcpc.log",
    /** udhcpc: foreground, our hook, release on exit (-R), a few quick discovers. */
    command: (iface: string, pidFile: string, s: DhcpSettings, _dir: string, _hookEnv: Record<string, string>) => [
      "udhcpc", "-f", "-i", iface, "-s", scriptPath("udhcpc-hook.sh"), "-p", pidFile,
      "-R", "-t", "5", "-T", "1", "-A", "2", "-O", "staticroutes", "-O", "search",
      ...(s.clientId ? ["-x", `0x3d:${Buffer.from(s.clientId).toString("hex")}`] : []),
    ],
  },
  6: {
    label: "DHCPv6",
    pid: "dhclient6.pid",
    lease: "lease6",
    dns: "v6.dns",
    log: "dhclient6.log",
    /** dhclient -6: foreground (-d), our hook, its own lease database; it clears the hook's environment, so settings go through -e. */
    command: (iface: string, pidFile: string, _s: DhcpSettings, dir: string, hookEnv: Record<string, string>) => [
      "dhclient", "-6", "-d", "-sf", scriptPath("dhclient6-hook.sh"), "-pf", pidFile, "-lf", join(dir, `${iface}.dhclient6.leases`),
      ...Object.entries(hookEnv).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      iface,
    ],
  },
} as const;

const settingsOf = (settings: DynamicAddressing, family: Family) => (family === 4 ? settings.dhcp4 : settings.dhcp6);

export class DynamicAddressingManager {
  private readonly netns: string | undefined;
  private readonly stateDir: string;
  private readonly dir: string;
  private readonly resolvConf: string;

  constructor(netns: string | undefined, stateDir: string, resolvConf = resolvConfPath(netns)) {
    this.netns = netns;
    this.stateDir = stateDir;
    this.dir = join(stateDir, "dynamic");
    this.resolvConf = resolvConf;
  }

  /** What is configured, by interface. */
  configured(): Map<string, DynamicAddressing> {
    const out = new Map<string, DynamicAddressing>();
    if (!existsSync(this.dir)) return out;
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith(".json")) continue;
      try {
        out.set(file.slice(0, -5), JSON.parse(readFileSync(join(this.dir, file), "utf8")) as DynamicAddressing);
      } catch {
        // a half-written record is treated as absent
      }
    }
    return out;
  }

  private file(iface: string, suffix: string): string {
    return join(this.dir, `${iface}.${suffix}`);
  }

  private clientPid(iface: string, family: Family): number | undefined {
    try {
      const pid = Number(readFileSync(this.file(iface, CLIENTS[family].pid), "utf8").trim());
      return pid > 0 && processAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The address of the interface's current lease, if its client runs and holds one. */
  lease(iface: string, family: Family = 4): { ip: string; prefix: number } | undefined {
    if (!this.clientPid(iface, family)) return undefined;
    try {
      const fields = Object.fromEntries(
        readFileSync(this.file(iface, CLIENTS[family].lease), "utf8").split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]),
      );
      return fields.LEASE_IP ? { ip: fields.LEASE_IP, prefix: Number(fields.LEASE_PREFIX) } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Makes an interface's dynamic addressing what `settings` says (starting, restarting or stopping clients). */
  async apply(iface: string, settings: DynamicAddressing, wait: LeaseWait): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const before = this.configured().get(iface) ?? {};
    const record = join(this.dir, `${iface}.json`);
    for (const family of [4, 6] as const) {
      const want = settingsOf(settings, family);
      // Restart also a client that died or whose address was taken away (by hand): the lease is what counts.
      if (JSON.stringify(settingsOf(before, family)) !== JSON.stringify(want) || (want && !(await this.holdsLease(iface, family)))) {
        await this.stop(iface, family);
        if (want) await this.start(iface, family, want, wait);
      }
    }
    if (Boolean(before.autoconf) !== Boolean(settings.autoconf)) await this.setAutoconf(iface, Boolean(settings.autoconf));
    if (settings.dhcp4 || settings.dhcp6 || settings.autoconf) writeFileSync(record, JSON.stringify(settings));
    else rmSync(record, { force: true });
  }

  private async holdsLease(iface: string, family: Family): Promise<boolean> {
    const lease = this.lease(iface, family);
    if (!lease) return false;
    const { stdout } = await run("ip", [...(this.netns ? ["-n", this.netns] : []), "-json", `-${family}`, "address", "show", "dev", iface]).catch(() => ({ stdout: "[]" }));
    const links = JSON.parse(stdout || "[]") as { addr_info?: { local: string; prefixlen: number }[] }[];
    return links.some((l) => l.addr_info?.some((a) => a.local === lease.ip && a.prefixlen === lease.prefix));
  }

  /** DHCPv6 binds to the link-local address, which is unusable while duplicate address detection runs. */
  private async linkLocalReady(iface: string, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const { stdout } = await run("ip", [...(this.netns ? ["-n", this.netns] : []), "-json", "-6", "address", "show", "dev", iface, "scope", "link"]).catch(() => ({ stdout: "[]" }));
      const links = JSON.parse(stdout || "[]") as { addr_info?: { tentative?: boolean }[] }[];
      const addrs = links.flatMap((l) => l.addr_info ?? []);
      if (addrs.length && !addrs.some((a) => a.tentative)) return;
      await sleep(100);
    }
  }

  private async start(iface: string, family: Family, s: DhcpSettings, wait: LeaseWait): Promise<void> {
    const client = CLIENTS[family];
    const leaseFile = this.file(iface, client.lease);
    rmSync(leaseFile, { force: true });
    const deadline = Date.now() + wait.leaseTimeoutMs;
    if (family === 6) await this.linkLocalReady(iface, deadline);
    const log = openSync(this.file(iface, client.log), "a");
    const hookEnv: Record<string, string> = {
      NODENET_DYNAMIC_DIR: this.dir,
      NODENET_STATE_DIR: this.stateDir,
      NODENET_RESOLV: this.resolvConf,
      NODENET_COMPOSE: scriptPath("resolv-compose.sh"),
      NODENET_AUTO_GATEWAY: s.autoGateway ? "1" : "0",
      NODENET_AUTO_ROUTES: s.autoRoutes ? "1" : "0",
      NODENET_AUTO_DNS: s.autoDns ? "1" : "0",
      NODENET_TABLE: String(s.tableId ?? 254),
      NODENET_METRIC: String(s.metric ?? 100),
    };
    const argv = client.command(iface, this.file(iface, client.pid), s, this.dir, hookEnv);
    const command = this.netns ? ["ip", "netns", "exec", this.netns, ...argv] : [...argv];
    const child = spawn(command[0]!, command.slice(1), {
      detached: true,
      stdio: ["ignore", log, log],
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        ...hookEnv,
        ...(process.env.NODENET_TEST_RUN ? { NODENET_TEST_RUN: process.env.NODENET_TEST_RUN } : {}),
      },
    });
    child.unref();
    closeSync(log);
    while (Date.now() < deadline) {
      if (existsSync(leaseFile)) return;
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    if (!existsSync(leaseFile)) {
      // Leave no client behind for an interface whose configuration failed.
      await this.stop(iface, family);
      throw new LeaseTimeoutError(`no ${client.label} lease on ${iface} within ${Math.round(wait.leaseTimeoutMs / 1000)}s`);
    }
  }

  private async stop(iface: string, family: Family): Promise<void> {
    const client = CLIENTS[family];
    const pid = this.clientPid(iface, family);
    if (pid) {
      // udhcpc -R releases the lease on SIGTERM and its hook removes the address; dhclient leaves that to us (below).
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(20);
      if (processAlive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(this.file(iface, client.pid), { force: true });
    const leaseFile = this.file(iface, client.lease);
    if (existsSync(leaseFile)) {
      const lease = Object.fromEntries(readFileSync(leaseFile, "utf8").split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]));
      if (lease.LEASE_IP) {
        await run("ip", [...(this.netns ? ["-n", this.netns] : []), `-${family}`, "address", "del", `${lease.LEASE_IP}/${lease.LEASE_PREFIX}`, "dev", iface]).catch(() => undefined);
      }
      rmSync(leaseFile, { force: true });
    }
    const dnsFile = this.file(iface, client.dns);
    if (existsSync(dnsFile)) {
      rmSync(dnsFile, { force: true });
      await this.composeResolver();
    }
  }

  private async setAutoconf(iface: string, on: boolean): Promise<void> {
    const key = `net/ipv6/conf/${iface.replaceAll(".", "/")}`;
    await inNetns(this.netns, "sysctl", ["-q", "-w", `${key}/accept_ra=${on ? 2 : 0}`, `${key}/autoconf=${on ? 1 : 0}`]);
    if (!on) await run("ip", [...(this.netns ? ["-n", this.netns] : []), "-6", "address", "flush", "dev", iface, "scope", "global", "dynamic"]).catch(() => undefined);
  }

  async composeResolver(): Promise<void> {
    await run(scriptPath("resolv-compose.sh"), [this.stateDir, this.resolvConf]);
  }

  /** Stops every client this target runs (namespace teardown, lab down). */
  async stopAll(): Promise<void> {
    for (const iface of this.configured().keys()) for (const family of [4, 6] as const) await this.stop(iface, family);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
