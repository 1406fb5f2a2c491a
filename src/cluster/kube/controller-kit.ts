/**
 * The controller kit: informers wired to one reconciler through a
 * rate-limited key queue — controller-runtime's
 * `ControllerManagedBy(mgr).For(..).Owns(..).WithEventFilter(..)` and kube-rs's
 * `Controller::new(api).run(reconcile, error_policy)` in a few lines:
 *
 *   const kit = new ControllerKit({ config, log, retry });
 *   const policies = kit.watch(source, { predicate: generationChanged, keys: (e) => [e.object.metadata.name] });
 *   kit.build(async ({ key, retries }) => { …; return { requeueAfterMs } });
 *   await kit.start();   // caches filled
 *   kit.run();           // reconciles begin
 *
 * Guarantees:
 * - the reconciler gets a key, never an event: it reads fresh state from the
 *   informers' caches (or the API) and must be idempotent;
 * - a key is reconciled once per burst of events, one key at a time;
 * - one retry scheme: a reconcile that throws is retried with the key's own
 *   exponential backoff when the error is retryable (`isRetryable`: a
 *   NodenetError's kind decides; API and network errors are transient), and
 *   dropped (logged) when not; success forgets the key's failures. The
 *   request carries `retries` so a reconciler can give up on a failure that
 *   keeps coming back and say so in its status.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { isRetryable } from "../../errors.ts";
import { errorFields, lineLogger, type Logger } from "../../log/logger.ts";
import { Informer, type InformerEvent, type InformerOptions, type InformerSource } from "./informer.ts";
import type { Predicate } from "./predicates.ts";
import type { KubeObject } from "./resources.ts";
import { RateLimitingQueue, type BackoffPolicy } from "./workqueue.ts";

export interface Request {
  key: string;
  /** Failed reconciles of this key since its last success. */
  retries: number;
}

export interface ReconcileResult {
  /** Reconcile the key again after this long (waiting for a slot, polling). */
  requeueAfterMs?: number;
}

export type Reconciler = (request: Request) => Promise<ReconcileResult>;

export interface WatchOptions<T> {
  /** Events that do not pass are ignored (the cache still follows them). */
  predicate?: Predicate<T>;
  /** The keys an event concerns; none: the informer is a cache only. */
  keys?: (event: InformerEvent<T>) => Iterable<string>;
  /** Coalesce: enqueue the keys this long after the first event of a burst (one reconcile for many events). */
  delayMs?: number;
  informer?: Omit<InformerOptions, "log">;
}

export interface ControllerKitOptions {
  config: KubeConfig;
  log: Logger;
  /** Backoff of a failing key; default 5 s × 3^n, at most 5 min. */
  retry?: BackoffPolicy;
  /** The log fields a key stands for (the handler: { policy, enactment }); default { key }. */
  keyFields?: (key: string) => Record<string, unknown>;
}

export const DEFAULT_RETRY: BackoffPolicy = { baseMs: 5_000, factor: 3, maxMs: 300_000 };

export class ControllerKit {
  readonly queue: RateLimitingQueue;
  private readonly options: ControllerKitOptions;
  private readonly informers: Informer<KubeObject>[] = [];
  private reconciler: Reconciler | undefined;
  private loop: Promise<void> | undefined;
  /** Reconciles run, for tests and metrics. */
  reconciles = 0;

  constructor(options: ControllerKitOptions) {
    this.options = options;
    this.queue = new RateLimitingQueue(options.retry ?? DEFAULT_RETRY);
  }

  /** An informer whose events (those the predicate passes) enqueue the keys they map to. */
  watch<T extends KubeObject>(source: InformerSource<T>, options: WatchOptions<T> = {}): Informer<T> {
    const { predicate, keys, delayMs } = options;
    const informer = new Informer<T>(
      this.options.config,
      source,
      (event) => {
        if (!keys || (predicate && !predicate(event))) return;
        for (const key of keys(event)) {
          if (delayMs) this.queue.addAfter(key, delayMs);
          else this.queue.add(key);
        }
      },
      { ...options.informer, log: lineLogger(this.options.log, "warn") },
    );
    this.informers.push(informer as unknown as Informer<KubeObject>);
    return informer;
  }

  build(reconciler: Reconciler): this {
    this.reconciler = reconciler;
    return this;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts every informer; resolves when their caches are filled. Keys queue up, unprocessed, until `run`. */
  async start(): Promise<void> {
    if (!this.reconciler) throw new Error("ControllerKit.start before build(reconciler)");
    await Promise.all(this.informers.map((i) => i.start()));
    this.loop ??= this.work();
  }

  run(): void {
    this.queue.resume();
  }

  /** Resolves when no reconcile runs or is ready to run (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.loop;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.next();
      if (key === undefined) return;
      try {
        this.reconciles++;
        const result = await this.reconciler!({ key, retries: this.queue.retries(key) });
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        const fields = this.options.keyFields?.(key) ?? { key };
        if (isRetryable(error)) {
          const delay = this.queue.addRateLimited(key);
          this.options.log.warn({ ...fields, ...errorFields(error), retries: this.queue.retries(key), retryInMs: delay }, "reconcile failed; retrying");
        } else {
          this.queue.forget(key);
          this.options.log.error({ ...fields, ...errorFields(error) }, "reconcile failed; not retried (the error does not go away by itself)");
        }
      } finally {
        this.queue.done();
      }
    }
  }
}
