/**
 * Dynamic addressing of one target: DHCPv4 (Debian's busybox udhcpc, one per
 * interface, started inside the target namespace with nodenet's event hook),
 * and IPv6 SLAAC (the kernel's own autoconf, switched by sysctl). What is
 * configured is recorded in STATE_DIR/dynamic/IFACE.json; that record, not the
 * kernel, is what `show` reports as `dhcp: true` / `autoconf: true`.
 *
 * The clients outlive the nodenet process that started them, as DHCP clients
 * must; `stopAll` ends them (used when a namespace is torn down).
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class DynamicAddressingManager {
  private readonly netns: string | undefined;
  private readonly stateDir: string;
  private readonly dir: string;
  private readonly resolvConf: string;

  constructor(netns: string | undefined, stateDir: string, resolvConf = resolvConfPath(netns)) {
    this.netns = netns;
    this.stateDir = stateDir;
    this.resolvConf = resolvConf;
    this.dir = join(stateDir, "dynamic");
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

  private pidFile(iface: string) {
    return join(this.dir, `${iface}.udhcpc.pid`);
  }

  private clientPid(iface: string): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidFile(iface), "utf8").trim());
      return pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The address of the interface's current DHCPv4 lease, if its client runs and holds one. */
  lease(iface: string): { ip: string; prefix: number } | undefined {
    if (!this.clientPid(iface)) return undefined;
    try {
      const fields = Object.fromEntries(
        readFileSync(join(this.dir, `${iface}.lease`), "utf8").split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]),
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
    // Restart also a client that died or whose address was taken away (by hand): the lease is what counts.
    if (JSON.stringify(before.dhcp4) !== JSON.stringify(settings.dhcp4) || (settings.dhcp4 && !(await this.holdsLease(iface)))) {
      await this.stopDhcp4(iface);
      if (settings.dhcp4) await this.startDhcp4(iface, settings.dhcp4, wait);
    }
    if (Boolean(before.autoconf) !== Boolean(settings.autoconf)) await this.setAutoconf(iface, Boolean(settings.autoconf));
    if (settings.dhcp6) throw new Error(`DHCPv6 on ${iface} is not supported yet; use ipv6.autoconf or static addresses`);
    if (settings.dhcp4 || settings.dhcp6 || settings.autoconf) writeFileSync(record, JSON.stringify(settings));
    else rmSync(record, { force: true });
  }

  private async holdsLease(iface: string): Promise<boolean> {
    const lease = this.lease(iface);
    if (!lease) return false;
    const { stdout } = await run("ip", [...(this.netns ? ["-n", this.netns] : []), "-json", "-4", "address", "show", "dev", iface]).catch(() => ({ stdout: "[]" }));
    const links = JSON.parse(stdout || "[]") as { addr_info?: { local: string; prefixlen: number }[] }[];
    return links.some((l) => l.addr_info?.some((a) => a.local === lease.ip && a.prefixlen === lease.prefix));
  }

  private async startDhcp4(iface: string, s: DhcpSettings, wait: LeaseWait): Promise<void> {
    const leaseFile = join(this.dir, `${iface}.lease`);
    rmSync(leaseFile, { force: true });
    const log = openSync(join(this.dir, `${iface}.udhcpc.log`), "a");
    const args = [
      "-f", "-i", iface, "-s", scriptPath("udhcpc-hook.sh"), "-p", this.pidFile(iface),
      "-R", "-t", "5", "-T", "1", "-A", "2", "-O", "staticroutes", "-O", "search",
      ...(s.clientId ? ["-x", `0x3d:${Buffer.from(s.clientId).toString("hex")}`] : []),
    ];
    const command = this.netns ? ["ip", "netns", "exec", this.netns, "udhcpc", ...args] : ["udhcpc", ...args];
    const child = spawn(command[0]!, command.slice(1), {
      detached: true,
      stdio: ["ignore", log, log],
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        NODENET_DYNAMIC_DIR: this.dir,
        NODENET_STATE_DIR: this.stateDir,
        NODENET_RESOLV: this.resolvConf,
        NODENET_COMPOSE: scriptPath("resolv-compose.sh"),
        NODENET_AUTO_GATEWAY: s.autoGateway ? "1" : "0",
        NODENET_AUTO_ROUTES: s.autoRoutes ? "1" : "0",
        NODENET_AUTO_DNS: s.autoDns ? "1" : "0",
        NODENET_TABLE: String(s.tableId ?? 254),
        NODENET_METRIC: String(s.metric ?? 100),
        ...(process.env.NODENET_TEST_RUN ? { NODENET_TEST_RUN: process.env.NODENET_TEST_RUN } : {}),
      },
    });
    child.unref();
    closeSync(log);
    const deadline = Date.now() + wait.leaseTimeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(leaseFile)) return;
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    if (!existsSync(leaseFile)) {
      // Leave no client behind for an interface whose configuration failed.
      await this.stopDhcp4(iface);
      throw new LeaseTimeoutError(`no DHCPv4 lease on ${iface} within ${Math.round(wait.leaseTimeoutMs / 1000)}s`);
    }
  }

  private async stopDhcp4(iface: string): Promise<void> {
    const pid = this.clientPid(iface);
    if (pid) {
      // SIGTERM with -R releases the lease; the hook's deconfig removes the address.
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
      if (alive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(this.pidFile(iface), { force: true });
    const leaseFile = join(this.dir, `${iface}.lease`);
    if (existsSync(leaseFile)) {
      // The client died without running its hook: clean up what it configured.
      const lease = Object.fromEntries(
        readFileSync(leaseFile, "utf8").split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]),
      );
      if (lease.LEASE_IP) await run("ip", [...(this.netns ? ["-n", this.netns] : []), "address", "del", `${lease.LEASE_IP}/${lease.LEASE_PREFIX}`, "dev", iface]).catch(() => undefined);
      rmSync(leaseFile, { force: true });
    }
    const dnsFile = join(this.dir, `${iface}.dns`);
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
    for (const iface of this.configured().keys()) await this.stopDhcp4(iface);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
