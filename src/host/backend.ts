/**
 * A host whose network nodenet reads and changes. The kernel backend (via
 * iproute2) is the real one; the in-memory backend lets callers be unit-tested
 * without root. Both pass the same contract suite (src/txn/backend.contract.ts, run through the transaction).
 */
import type { Operation } from "../state/plan/operations.ts";
import { clone } from "../state/objects.ts";
import type { NetworkState } from "../state/schema/state.ts";

export interface HostSnapshot {
  /** What `show` prints: every interface, route, rule and the resolver. */
  state: NetworkState;
  /** Addresses owned by DHCP or SLAAC, as `iface/ip/prefix` (canonical ip). */
  dynamic: ReadonlySet<string>;
}

export interface ReadScope {
  /**
   * Interfaces whose per-interface kernel settings (IPv4 forwarding, IPv6
   * address generation mode) must be read; all when omitted. A change that
   * declares none of them need not pay for reading them on every interface.
   */
  settingsOf?: readonly string[];
}

export interface HostBackend {
  /** For messages: "namespace lab-node-1", "this host". */
  readonly description: string;
  /** The network namespace the target is (probes run there); undefined for this process's own. */
  readonly netns?: string | undefined;
  /** A directory for dynamic-addressing and resolver state that belongs to this target. */
  readonly stateDir: string;
  /**
   * Where the apply lock and the checkpoint live: one per target *identity*
   * (a namespace re-created under the same name is another target; two names
   * of one namespace are the same). Often the same as stateDir.
   */
  readonly checkpointDir: string;
  /** The target's identity when the backend was made (src/host/kernel/netns-identity.ts); undefined when it has none to lose. */
  readonly identity?: string | undefined;
  /** Why the target this backend was made for is no longer there (deleted, or its name now names another namespace); undefined while it is. */
  targetGone?(): string | undefined;
  /** The persisted record committed changes are merged into (ADR 0011); undefined: none (memory only). */
  readonly recordFile?: string | undefined;
  read(scope?: ReadScope): Promise<HostSnapshot>;
  /** One operation as this backend carries it out, for users (`diff --plan`, `apply --dry-run`, failures). */
  describe(op: Operation): string;
  /**
   * Runs operations in order and stops at the first failure, throwing an
   * ExecuteError that names it. Operations before it have taken effect.
   */
  execute(ops: readonly Operation[]): Promise<void>;
  /**
   * Starts a process that rolls the checkpoint back at its deadline if it is
   * still pending, even if this process dies (see docs/adr/0002). Returns its
   * PID. A backend whose host dies with this process (the in-memory one) has
   * none.
   */
  /**
   * What the state model does not carry but a user would see after a
   * rollback: the routing tables as the kernel lists them, with protocol and
   * scope (one line per route, sorted; link-local and multicast routes the
   * kernel makes by itself left out). Compared before and after a rollback,
   * so "the host is as before" is said only when it is true.
   */
  routeListing?(): Promise<string[]>;
  /**
   * Makes the routing tables list exactly `before` again where the state
   * model could not: routes put back with their protocol, scope and metric,
   * routes that appeared (the kernel's own for a re-added address) removed.
   */
  restoreRouteListing?(before: readonly string[]): Promise<void>;
  startWatchdog?(checkpointId: string, options?: { applierPid?: number }): number;
}

export class ExecuteError extends Error {
  readonly index: number;
  readonly operation: Operation | undefined;
  /** The host cannot do this at all (e.g. the running kernel has no module for the link kind): retrying will not help. */
  readonly unsupported: boolean;

  constructor(index: number, operation: Operation | undefined, detail: string, cause?: unknown, options: { unsupported?: boolean } = {}) {
    super(detail, { cause });
    this.name = "ExecuteError";
    this.index = index;
    this.operation = operation;
    this.unsupported = options.unsupported ?? false;
  }
}

export const dynamicKey = (iface: string, ip: string, prefix: number) => `${iface}/${ip}/${prefix}`;

/**
 * The state as nodenet manages it: dynamic addresses are left out of address
 * lists, because the DHCP client or the kernel (SLAAC) owns them. Merge, plan
 * and revert work on this view; `show` and capture see the full state.
 */
export function staticView(snapshot: HostSnapshot): NetworkState {
  if (snapshot.dynamic.size === 0) return snapshot.state;
  const state = clone(snapshot.state);
  for (const iface of state.interfaces ?? []) {
    for (const family of ["ipv4", "ipv6"] as const) {
      const ip = iface[family];
      if (ip?.address) ip.address = ip.address.filter((a) => !snapshot.dynamic.has(dynamicKey(iface.name, a.ip, a["prefix-length"])));
    }
  }
  return state;
}
