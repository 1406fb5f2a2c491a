/**
 * A work queue of keys, not events (the reconciler reads fresh state): a key
 * added many times before it is processed is processed once; a key can be
 * scheduled for later (requeue after a delay); keys are processed one at a
 * time, because a node changes its network one policy at a time.
 * A queue starts paused: keys collect while the owner recovers from a
 * previous run (rollback, giving back slots) and are processed on `resume()`
 * — a reconcile racing that recovery could act on a slot being given back.
 */
export interface ReconcileResult {
  /** Process the key again after this long (waiting for a slot, retrying). */
  requeueAfterMs?: number;
}

export class WorkQueue {
  private readonly ready = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly handle: (key: string) => Promise<ReconcileResult>;
  private readonly onError: (key: string, error: unknown) => void;
  private running = false;
  private paused = true;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(handle: (key: string) => Promise<ReconcileResult>, onError: (key: string, error: unknown) => void) {
    this.handle = handle;
    this.onError = onError;
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    this.ready.add(key);
    void this.drain();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.ready.has(key)) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms));
  }

  /** Starts processing (the queue is created paused). */
  resume(): void {
    this.paused = false;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running || this.paused) return;
    this.running = true;
    try {
      while (!this.stopped && this.ready.size) {
        const key = this.ready.values().next().value as string;
        this.ready.delete(key);
        try {
          const result = await this.handle(key);
          if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (error) {
          this.onError(key, error);
          this.addAfter(key, 5_000);
        }
      }
    } finally {
      this.running = false;
      if (!this.ready.size) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when nothing is being processed or waiting to be. */
  idle(): Promise<void> {
    if (!this.running && (!this.ready.size || this.paused)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.ready.clear();
  }
}
