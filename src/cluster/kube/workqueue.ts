/**
 * A rate-limited work queue of keys, not events (the reconciler reads fresh
 * state), after client-go's `workqueue.NewTypedRateLimitingQueue`:
 *
 * - a key added many times before it is processed is processed once; a key
 *   added while it is processed is processed again afterwards, never twice
 *   at once;
 * - `addAfter` schedules a key (a requeue); an earlier `add` or `addAfter`
 *   wins over a later deadline;
 * - `addRateLimited` schedules a key after its own exponential backoff
 *   (base × factor^failures, capped), and `forget` resets that count — the
 *   reconcile loop forgets a key on success, so one key's failures never slow
 *   another key down;
 * - the queue starts paused: keys collect while the owner recovers from a
 *   previous run and are processed from `resume()`.
 * Keys are processed one at a time (a node changes its network one policy at a
 * time; the controller's status writes need no more).
 */
export interface BackoffPolicy {
  /** First retry delay. */
  baseMs: number;
  factor: number;
  maxMs: number;
}

export class RateLimitingQueue {
  private readonly ready = new Set<string>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private readonly failures = new Map<string, number>();
  private readonly backoff: BackoffPolicy;
  private processing: string | undefined;
  private paused = true;
  private stopped = false;
  private wake: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(backoff: BackoffPolicy) {
    this.backoff = backoff;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.clearTimer(key);
    this.ready.add(key);
    this.wake?.();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.ready.has(key)) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    this.clearTimer(key);
    this.timers.set(key, { at, timer: setTimeout(() => this.add(key), ms) });
  }

  /** Schedules the key after its backoff and counts the failure; returns the delay. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * this.backoff.factor ** failures);
    this.addAfter(key, delay);
    return delay;
  }

  /** Failures of the key since it was last forgotten. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process, once the queue runs and one is ready; undefined once stopped. */
  async next(): Promise<string | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      if (!this.paused && this.ready.size) {
        const key = this.ready.values().next().value as string;
        this.ready.delete(key);
        this.processing = key;
        return key;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** The key taken by `next` is finished. */
  done(): void {
    this.processing = undefined;
    if (!this.ready.size) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Resolves when nothing is processed or ready (scheduled keys do not count). */
  idle(): Promise<void> {
    if (this.processing === undefined && (!this.ready.size || this.paused)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.clear();
    this.wake?.();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private clearTimer(key: string): void {
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing.timer);
    this.timers.delete(key);
  }
}
