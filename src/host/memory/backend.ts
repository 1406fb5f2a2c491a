/**
 * An in-memory host for unit tests of callers (the transaction, the cluster
 * handler): it reads and executes like the kernel backend, with the kernel's
 * side effects and refusals where callers can tell them apart (see links.ts,
 * addresses.ts, routes.ts, dynamic.ts), and never touches the machine. It is
 * no stand-in for a kernel test: both pass the contract suite
 * (src/txn/backend.contract.ts), but only the kernel is the truth.
 *
 * Guarantees: `execute` applies operations in order and stops at the first
 * one that fails, throwing an ExecuteError with its index; the operations
 * before it stay applied, each operation is all-or-nothing except where the
 * kernel's own is not (`master` releases a port from its old controller
 * before the new one may refuse it). `read` returns a fresh deep copy.
 *
 * For tests: `failAt` makes a chosen operation fail (before it changes
 * anything), `writes` counts operations that took effect, `executed` lists
 * them, and `leases` is the simulated DHCP server's offer per interface.
 *
 * Caveat: the transaction starts a rollback watchdog process for every
 * change, and that process acts on the kernel (of `netns`, or of this host).
 * Apply to a MemoryBackend with a long `timeoutSeconds`, and keep `stateDir`
 * private to the test and delete it afterwards: a watchdog left behind then
 * finds no checkpoint and exits.
 */
import { ExecuteError, type HostBackend, type HostSnapshot } from "../backend.ts";
import type { Operation } from "../../state/plan/operations.ts";
import { describe } from "../kernel/commands.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { applyOperation } from "./apply.ts";
import type { DhcpLease } from "./dynamic.ts";
import { hostFromState } from "./load.ts";
import type { MemHost } from "./model.ts";
import { renderSnapshot } from "./render.ts";

export type { DhcpLease } from "./dynamic.ts";

export interface MemoryBackendOptions {
  /** Where the transaction keeps checkpoints and its lock; private to the test. */
  stateDir: string;
  description?: string;
  /** Offered to DHCP (and, for IPv6 addresses, SLAAC) by interface. */
  leases?: Record<string, DhcpLease | DhcpLease[]>;
  /** Returns a message to make operation `index` of an `execute` call fail with it. */
  failAt?: (op: Operation, index: number) => string | undefined;
}

export class MemoryBackend implements HostBackend {
  readonly description: string;
  readonly netns: string | undefined = undefined;
  readonly stateDir: string;
  get checkpointDir(): string {
    return this.stateDir;
  }
  readonly leases: Map<string, DhcpLease[]>;
  failAt: ((op: Operation, index: number) => string | undefined) | undefined;
  /** Operations that took effect, in order, across all `execute` calls. */
  readonly executed: Operation[] = [];
  private readonly host: MemHost;

  constructor(initial: NetworkState = {}, options: MemoryBackendOptions) {
    this.stateDir = options.stateDir;
    this.description = options.description ?? "the in-memory host";
    this.failAt = options.failAt;
    this.leases = new Map(Object.entries(options.leases ?? {}).map(([name, lease]) => [name, Array.isArray(lease) ? [...lease] : [lease]]));
    this.host = hostFromState(structuredClone(initial), this.leases);
  }

  /** How many operations have taken effect ("no kernel writes" is `writes === 0`). */
  get writes(): number {
    return this.executed.length;
  }

  async read(): Promise<HostSnapshot> {
    return renderSnapshot(this.host);
  }

  /** In the kernel's words: this backend emulates the kernel, refusals and all. */
  describe(op: Operation): string {
    return describe(op);
  }

  async execute(ops: readonly Operation[]): Promise<void> {
    for (const [index, op] of ops.entries()) {
      const injected = this.failAt?.(op, index);
      if (injected !== undefined) throw new ExecuteError(index, op, `${describe(op)}: ${injected}`);
      try {
        applyOperation(this.host, op, this.leases);
      } catch (error) {
        throw new ExecuteError(index, op, `${describe(op)}: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      this.executed.push(structuredClone(op));
    }
  }
}
