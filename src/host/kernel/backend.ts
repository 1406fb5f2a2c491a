/**
 * The kernel backend: reads with `ip -json`, changes with `ip -batch`, keeps
 * DHCP clients and the resolver file of its target namespace (or of the host).
 */
import { hostname } from "node:os";
import { dynamicKey, type HostBackend, type HostSnapshot } from "../backend.ts";
import type { Operation } from "../../state/plan/operations.ts";
import { commandOf } from "../../state/plan/operations.ts";
import { DynamicAddressingManager } from "./dynamic.ts";
import { run, inNetns } from "./exec.ts";
import { executeSegments } from "./execute.ts";
import { defaultStateDir } from "./paths.ts";
import { readKernelSnapshot } from "./read/index.ts";
import { readStaticDns, writeStaticDns } from "./resolver.ts";

export interface KernelBackendOptions {
  /** Named network namespace to act in; undefined is the host's own namespace. */
  netns?: string;
  stateDir?: string;
  /** How long DHCP may take to give a lease during apply. */
  leaseTimeoutMs?: number;
}

export class KernelBackend implements HostBackend {
  readonly netns: string | undefined;
  readonly stateDir: string;
  readonly description: string;
  readonly dynamic: DynamicAddressingManager;
  private readonly leaseTimeoutMs: number;

  constructor(options: KernelBackendOptions = {}) {
    this.netns = options.netns;
    this.stateDir = options.stateDir ?? defaultStateDir(options.netns);
    this.description = options.netns ? `namespace ${options.netns}` : "this host";
    this.dynamic = new DynamicAddressingManager(options.netns, this.stateDir);
    this.leaseTimeoutMs = options.leaseTimeoutMs ?? 20_000;
  }

  async read(): Promise<HostSnapshot> {
    const snapshot = await readKernelSnapshot(this.netns);
    const state = snapshot.state;
    const configured = this.dynamic.configured();
    for (const iface of state.interfaces ?? []) {
      const dyn = configured.get(iface.name);
      if (!dyn) continue;
      if (dyn.dhcp4) {
        iface.ipv4 = { ...iface.ipv4, enabled: true, dhcp: true, "auto-dns": dyn.dhcp4.autoDns, "auto-gateway": dyn.dhcp4.autoGateway, "auto-routes": dyn.dhcp4.autoRoutes, address: iface.ipv4?.address ?? [] };
        if (dyn.dhcp4.tableId !== undefined) iface.ipv4["auto-route-table-id"] = dyn.dhcp4.tableId;
        if (dyn.dhcp4.metric !== undefined) iface.ipv4["auto-route-metric"] = dyn.dhcp4.metric;
      }
      if (dyn.autoconf) iface.ipv6 = { ...iface.ipv6, enabled: true, autoconf: true, address: iface.ipv6?.address ?? [] };
    }
    const dns = readStaticDns(this.stateDir);
    if (dns) state["dns-resolver"] = { ...state["dns-resolver"], config: dns };
    if (!this.netns) state.hostname = { running: hostname() };
    return { state, dynamic: new Set([...snapshot.dynamicAddresses].map((k) => k)) };
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

export { dynamicKey };
