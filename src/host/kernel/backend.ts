/**
 * The kernel backend: reads with `ip -json`, changes with `ip -batch`, keeps
 * DHCP clients and the resolver file of its target namespace (or of the host).
 */
import { hostname } from "node:os";
import type { HostBackend, HostSnapshot, ReadScope } from "../backend.ts";
import type { Operation } from "../../state/plan/operations.ts";
import { commandOf, describe } from "./commands.ts";
import { autoSettingsFields } from "../../state/plan/index.ts";
import { DynamicAddressingManager } from "./dynamic.ts";
import { canonicalIp } from "../../state/ip-address.ts";
import { run, inNetns, ip } from "./exec.ts";
import { executeSegments } from "./execute.ts";
import { defaultStateDir, stateRoot } from "./paths.ts";
import { netnsIdentity, transactionDirOf } from "./netns-identity.ts";
import { defaultRecordFile } from "./record-path.ts";
import { readKernelSnapshot } from "./read/index.ts";
import { readStaticDns, writeStaticDns } from "./resolver.ts";
import { startWatchdog } from "./watchdog.ts";

export interface KernelBackendOptions {
  /** Named network namespace to act in; undefined is the host's own namespace. */
  netns?: string;
  stateDir?: string;
  /** How long DHCP may take to give a lease during apply. */
  leaseTimeoutMs?: number;
  /** Where the lock and checkpoint live; by default one directory per namespace identity (or stateDir when that is given, or for this host). */
  checkpointDir?: string;
  /** The identity of the namespace this backend must act on (the watchdog's, recorded at apply); by default the one the name has now. */
  netnsIdentity?: string;
  /** The persisted record (ADR 0011); default per target under /etc/nodenet, null: keep nothing across reboots. */
  recordFile?: string | null;
  /** The resolver file to manage instead of the target's usual one (e.g. the host's /etc mounted into a container). */
  resolvConf?: string;
}

export class KernelBackend implements HostBackend {
  readonly netns: string | undefined;
  readonly stateDir: string;
  readonly checkpointDir: string;
  readonly identity: string | undefined;
  readonly recordFile: string | undefined;
  readonly description: string;
  readonly dynamic: DynamicAddressingManager;
  private readonly leaseTimeoutMs: number;
  private readonly resolvConf: string | undefined;

  constructor(options: KernelBackendOptions = {}) {
    this.netns = options.netns;
    this.stateDir = options.stateDir ?? defaultStateDir(options.netns);
    this.identity = options.netns ? (options.netnsIdentity ?? netnsIdentity(options.netns)) : undefined;
    this.checkpointDir = options.checkpointDir ?? (options.stateDir || !this.identity ? this.stateDir : transactionDirOf(stateRoot(), this.identity));
    this.recordFile = options.recordFile === null ? undefined : (options.recordFile ?? defaultRecordFile(options.netns));
    this.description = options.netns ? `namespace ${options.netns}` : "this host";
    this.dynamic = new DynamicAddressingManager(options.netns, this.stateDir, options.resolvConf);
    this.resolvConf = options.resolvConf;
    this.leaseTimeoutMs = options.leaseTimeoutMs ?? 20_000;
  }

  async read(scope: ReadScope = {}): Promise<HostSnapshot> {
    const snapshot = await readKernelSnapshot(this.netns, { ...(scope.settingsOf ? { sysctlsFor: scope.settingsOf } : {}), ...(this.resolvConf ? { resolvConf: this.resolvConf } : {}) });
    const state = snapshot.state;
    const configured = this.dynamic.configured();
    for (const iface of state.interfaces ?? []) {
      // DHCP and autoconf are what nodenet runs for an interface (its record),
      // not what the kernel would do if a router advertised: a fresh link's
      // accept_ra=1 does not make it an autoconf interface.
      const dyn = { ...configured.get(iface.name) };
      const v4 = iface.ipv4?.address ?? [];
      // DHCP counts as configured only while its client runs and its leased address is on the link:
      // a lease taken away by hand is drift, which the plan repairs by restarting the client.
      const lease = dyn.dhcp4 ? this.dynamic.lease(iface.name) : undefined;
      if (dyn.dhcp4 && !(lease && v4.some((a) => a.ip === lease.ip && a["prefix-length"] === lease.prefix))) delete dyn.dhcp4;
      iface.ipv4 = { ...iface.ipv4, enabled: v4.length > 0 || Boolean(dyn.dhcp4), dhcp: Boolean(dyn.dhcp4), address: v4 };
      if (dyn.dhcp4) Object.assign(iface.ipv4, autoSettingsFields(dyn.dhcp4));
      const v6 = iface.ipv6?.address ?? [];
      const lease6 = dyn.dhcp6 ? this.dynamic.lease(iface.name, 6) : undefined;
      if (dyn.dhcp6 && !(lease6 && v6.some((a) => a.ip === canonicalIp(lease6.ip) && a["prefix-length"] === lease6.prefix))) delete dyn.dhcp6;
      // IPv6 is on whenever the kernel's is (disable_ipv6=0, as the read reports it), with or without addresses.
      iface.ipv6 = { ...iface.ipv6, enabled: Boolean(iface.ipv6?.enabled) || v6.length > 0 || Boolean(dyn.dhcp6 || dyn.autoconf), dhcp: Boolean(dyn.dhcp6), autoconf: Boolean(dyn.autoconf), address: v6 };
      const v6settings = dyn.dhcp6 ?? dyn.autoconf;
      if (v6settings) Object.assign(iface.ipv6, autoSettingsFields(v6settings));
    }
    const dns = readStaticDns(this.stateDir);
    if (dns) state["dns-resolver"] = { ...state["dns-resolver"], config: dns };
    if (!this.netns) state.hostname = { running: hostname() };
    return { state, dynamic: snapshot.dynamicAddresses };
  }

  startWatchdog(checkpointId: string, options: { applierPid?: number } = {}): number {
    return startWatchdog({ stateDir: this.stateDir, checkpointDir: this.checkpointDir, checkpointId, netns: this.netns, identity: this.identity, applierPid: options.applierPid });
  }

  async routeListing(): Promise<string[]> {
    const [v4, v6] = await Promise.all([ip(this.netns, ["-4", "route", "show", "table", "all"]), ip(this.netns, ["-6", "route", "show", "table", "all"])]);
    return [...v4.stdout.split("\n"), ...v6.stdout.split("\n")]
      .map((line) => line.trim())
      .filter((line) => line && !/\bfe80::|\bff00::\/8|^multicast /.test(line))
      .sort();
  }

  /**
   * Equivalent to: `ip route replace LINE` for each route missing and `ip route del LINE` for each
   * one new, with each line's words as `ip route show` printed them (its output is valid input).
   * Routes the kernel makes for an address it has (proto kernel) come and go with the address; they
   * are removed when new but never added.
   */
  async restoreRouteListing(before: readonly string[]): Promise<void> {
    const now = await this.routeListing();
    const family = (line: string) => (/^(local |broadcast |anycast |unicast )?[0-9a-f]*:[0-9a-f:]*[/ ]/.test(line) ? "-6" : "-4");
    for (const line of before.filter((l) => !now.includes(l) && !/\bproto kernel\b/.test(l))) {
      await ip(this.netns, [family(line), "route", "replace", ...line.split(/\s+/)]).catch(() => undefined);
    }
    const replaced = await this.routeListing();
    for (const line of replaced.filter((l) => !before.includes(l))) {
      await ip(this.netns, [family(line), "route", "del", ...line.split(/\s+/)]).catch(() => undefined);
    }
  }

  targetGone(): string | undefined {
    if (!this.netns || !this.identity) return undefined;
    const now = netnsIdentity(this.netns);
    if (now === this.identity) return undefined;
    return now ? `namespace ${this.netns} was deleted and re-created (it is another namespace now)` : `namespace ${this.netns} was deleted`;
  }

  /** The iproute2 command (or nodenet step) an operation stands for: `ip link add br0 type bridge`. */
  describe(op: Operation): string {
    return describe(op);
  }

  async execute(ops: readonly Operation[]): Promise<void> {
    await executeSegments(this.netns, ops, (op) => this.single(op));
  }

  /** Operations that are not iproute2 batch lines. */
  private async single(op: Operation): Promise<void> {
    switch (op.op) {
      case "dynamic":
        return this.dynamic.apply(op.name, op.settings, { leaseTimeoutMs: this.leaseTimeoutMs });
      case "dns":
        writeStaticDns(this.stateDir, op.config);
        return this.dynamic.composeResolver();
      case "hostname":
        if (this.netns) throw new Error("the hostname belongs to the UTS namespace, not a network namespace");
        await run("hostname", [op.name]);
        return;
      default: {
        // An iproute2 operation with words the batch parser cannot carry (quotes in a description).
        const { tool, args } = commandOf(op);
        if (tool === "ip" || tool === "bridge") await run(tool, [...(this.netns ? ["-n", this.netns] : []), ...args]);
        else await inNetns(this.netns, tool, args);
      }
    }
  }
}

