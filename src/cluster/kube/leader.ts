/**
 * Lease-based leader election (coordination.k8s.io/v1), the algorithm of
 * client-go's leaderelection package.
 *
 * Guarantees:
 * - at most one candidate believes it leads at a time, provided clocks tick
 *   at the same rate (a candidate measures a lease's age from when *it* saw
 *   the lease change, never from the timestamps in it, so clock offsets do
 *   not matter);
 * - a leader that cannot renew within `renewDeadlineMs` stops leading
 *   (its `signal` aborts) before others may take over at `leaseDurationMs`;
 * - when a leader dies, another candidate leads within about
 *   leaseDuration + retryPeriod; `stop()` releases the lease so the handover
 *   is immediate.
 * Writes use the Lease's resourceVersion, so two candidates racing for an
 * expired lease cannot both win.
 */
import { V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { sleep } from "./backoff.ts";
import type { Kube } from "./config.ts";
import { isConflict, isNotFound } from "./errors.ts";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Unique per candidate, e.g. pod name + random suffix. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Runs while leading; `signal` aborts when leadership is lost or released. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** Called whenever the observed holder changes (including to us). */
  onNewLeader?: (identity: string) => void;
  log?: (message: string) => void;
}

interface Observed {
  holder: string;
  resourceVersion: string;
  /** Local monotonic time (ms) at which the lease record last changed. */
  seenAt: number;
  durationMs: number;
}

const monotonicMs = () => performance.now();

export class LeaderElector {
  private readonly kube: Kube;
  private readonly o: Required<Omit<LeaderElectionOptions, "onStoppedLeading" | "onNewLeader" | "log">> & Pick<LeaderElectionOptions, "onStoppedLeading" | "onNewLeader" | "log">;
  private readonly stopper = new AbortController();
  private observed: Observed | undefined;
  private lastRecord = "";
  private leading: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(kube: Kube, options: LeaderElectionOptions) {
    this.kube = kube;
    this.o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
    if (!(this.o.leaseDurationMs > this.o.renewDeadlineMs && this.o.renewDeadlineMs > this.o.retryPeriodMs)) {
      throw new Error("leader election needs leaseDuration > renewDeadline > retryPeriod");
    }
  }

  get isLeader(): boolean {
    return this.leading !== undefined && !this.leading.signal.aborted;
  }

  /** The holder last seen in the Lease ("" when none). */
  get leader(): string {
    return this.observed?.holder ?? "";
  }

  /** Starts campaigning; returns at once. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader releases the lease first. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private log(message: string): void {
    this.o.log?.(`leader election ${this.o.namespace}/${this.o.name} (${this.o.identity}): ${message}`);
  }

  private async run(): Promise<void> {
    const stop = this.stopper.signal;
    while (!stop.aborted) {
      // Candidate: try every retry period until we hold the lease.
      if (!(await this.tryAcquireOrRenew())) {
        await sleep(this.o.retryPeriodMs * (1 + Math.random() * 0.2), stop);
        continue;
      }
      const leading = new AbortController();
      this.leading = leading;
      this.log("started leading");
      void Promise.resolve()
        .then(() => this.o.onStartedLeading(leading.signal))
        .catch((error: unknown) => this.log(`onStartedLeading failed: ${error instanceof Error ? error.message : String(error)}`));
      // Leader: renew every retry period; give up when a renewal cannot succeed before the deadline.
      let lastRenew = monotonicMs();
      while (!stop.aborted) {
        await sleep(this.o.retryPeriodMs, stop);
        if (stop.aborted) break;
        if (await this.tryAcquireOrRenew()) {
          lastRenew = monotonicMs();
        } else if (monotonicMs() - lastRenew > this.o.renewDeadlineMs || (this.observed && this.observed.holder !== this.o.identity)) {
          this.log("lost the lease");
          break;
        }
      }
      leading.abort();
      this.leading = undefined;
      if (stop.aborted) await this.release();
      this.o.onStoppedLeading?.();
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.kube.coordination.readNamespacedLease({ namespace: this.o.namespace, name: this.o.name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const record = JSON.stringify([holder, spec.renewTime, spec.acquireTime, spec.leaseTransitions, spec.leaseDurationSeconds]);
    if (record !== this.lastRecord || !this.observed) {
      this.lastRecord = record;
      const previous = this.observed?.holder;
      this.observed = { holder, resourceVersion: lease.metadata?.resourceVersion ?? "", seenAt: monotonicMs(), durationMs: (spec.leaseDurationSeconds ?? 0) * 1000 };
      if (holder && holder !== previous) this.o.onNewLeader?.(holder);
    } else {
      this.observed.resourceVersion = lease.metadata?.resourceVersion ?? "";
    }
  }

  private spec(previous: V1Lease["spec"], now: Date) {
    const acquiring = previous?.holderIdentity !== this.o.identity;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: acquiring || !previous?.acquireTime ? new V1MicroTime(now) : new V1MicroTime(previous.acquireTime),
      renewTime: new V1MicroTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (acquiring && previous?.holderIdentity ? 1 : 0),
    };
  }

  /** One round: create, take over an expired lease, or renew ours. True if we hold it afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    try {
      const lease = await this.read();
      if (!lease) {
        const created = await this.kube.coordination.createNamespacedLease({
          namespace: this.o.namespace,
          body: { metadata: { name: this.o.name, namespace: this.o.namespace }, spec: this.spec(undefined, now) },
        });
        this.observe(created);
        return true;
      }
      this.observe(lease);
      const observed = this.observed!;
      const held = observed.holder !== "" && observed.holder !== this.o.identity;
      if (held && monotonicMs() < observed.seenAt + observed.durationMs) return false;
      const updated = await this.kube.coordination.replaceNamespacedLease({
        namespace: this.o.namespace,
        name: this.o.name,
        body: { ...lease, spec: this.spec(lease.spec, now) },
      });
      this.observe(updated);
      return true;
    } catch (error) {
      if (!isConflict(error)) this.log(`lease update failed: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /** Gives the lease up (holder cleared, 1 s duration) so the next candidate need not wait. */
  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (!lease || lease.spec?.holderIdentity !== this.o.identity) return;
      await this.kube.coordination.replaceNamespacedLease({
        namespace: this.o.namespace,
        name: this.o.name,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new V1MicroTime(new Date()) } },
      });
      this.log("released the lease");
    } catch (error) {
      this.log(`could not release the lease: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
