/**
 * List + watch with a local cache, that keeps working through API server
 * restarts, expired resource versions and silent stalls.
 *
 * Guarantees:
 * - after `start()` resolves the cache holds what the last list or watch
 *   event said; every change on the server ends up in the cache and in an
 *   event (intermediate versions may be coalesced into one `updated` when a
 *   relist was needed — handlers read the object, not the delta);
 * - a watch that ends cleanly is resumed from the last resourceVersion; an
 *   expired one (410 Gone, as an HTTP status or an ERROR event) triggers a
 *   relist, diffed against the cache into added/updated/deleted events;
 * - a watch that delivers nothing — no event and no bookmark — for
 *   `watchdogMs` is abandoned and restarted (the client library can stall
 *   silently on half-open connections);
 * - failures are retried with exponential backoff, for ever, until `stop()`.
 * Caveat: handlers run synchronously in event order; queue keys, not work.
 */
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { Backoff, sleep, withTimeout, type BackoffOptions } from "./backoff.ts";
import type { KubeObject, ResourceClient } from "./resources.ts";
import type { z } from "zod";

export interface InformerSource<T extends KubeObject> {
  /** Watch path, e.g. `/apis/nmstate.io/v1/nodenetworkconfigurationpolicies` or `/api/v1/nodes`. */
  path: string;
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  /** Raw watch object → typed value; throws on malformed input (the event is then skipped and logged). */
  parse(raw: unknown): T;
  labelSelector?: string;
  fieldSelector?: string;
}

export type InformerEvent<T> = { type: "added"; object: T } | { type: "updated"; object: T; old: T } | { type: "deleted"; object: T };

export interface InformerOptions {
  /** Restart a watch that shows no sign of life (events, bookmarks) for this long. Default 90 s (bookmarks come about every minute). */
  watchdogMs?: number;
  /** Server-side watch timeout; each watch picks a random value in [this, 2×this). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Limit for one list request. Default 30 s. */
  listTimeoutMs?: number;
  backoff?: BackoffOptions;
  log?: (message: string) => void;
}

export interface InformerStats {
  lists: number;
  watches: number;
  /** Relists caused by 410 Gone. */
  expired: number;
  watchdogRestarts: number;
  errors: number;
  events: number;
  resourceVersion: string;
}

type WatchOutcome = "closed" | "expired" | "stalled" | "error";

const keyOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

export class Informer<T extends KubeObject> {
  private readonly config: KubeConfig;
  private readonly source: InformerSource<T>;
  private readonly onEvent: (event: InformerEvent<T>) => void;
  private readonly options: Required<Omit<InformerOptions, "backoff" | "log">> & Pick<InformerOptions, "log">;
  private readonly backoff: Backoff;
  private readonly cache = new Map<string, T>();
  private readonly stopper = new AbortController();
  private abortWatch: (() => void) | undefined;
  private syncedResolve: (() => void) | undefined;
  private readonly syncedPromise: Promise<void>;
  private loop: Promise<void> | undefined;
  synced = false;
  readonly stats: InformerStats = { lists: 0, watches: 0, expired: 0, watchdogRestarts: 0, errors: 0, events: 0, resourceVersion: "" };

  constructor(config: KubeConfig, source: InformerSource<T>, onEvent: (event: InformerEvent<T>) => void, options: InformerOptions = {}) {
    this.config = config;
    this.source = source;
    this.onEvent = onEvent;
    this.options = {
      watchdogMs: options.watchdogMs ?? 90_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      listTimeoutMs: options.listTimeoutMs ?? 30_000,
      log: options.log,
    };
    this.backoff = new Backoff(options.backoff);
    this.syncedPromise = new Promise((resolve) => (this.syncedResolve = resolve));
  }

  /** Starts listing and watching; resolves once the cache is filled (it keeps retrying until then). */
  start(): Promise<void> {
    this.loop ??= this.run();
    return Promise.race([this.syncedPromise, this.loop]);
  }

  /** Stops the watch and the retry loop; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.abortWatch?.();
    await this.loop;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private log(message: string): void {
    this.options.log?.(`informer ${this.source.path}: ${message}`);
  }

  private emit(event: InformerEvent<T>): void {
    this.stats.events++;
    try {
      this.onEvent(event);
    } catch (error) {
      this.log(`event handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const began = Date.now();
        let outcome = await this.watchOnce();
        if (signal.aborted) break;
        // A watch the server ends at once, over and over, must not spin.
        if (outcome === "closed" && Date.now() - began < 1_000) outcome = "error";
        switch (outcome) {
          case "expired":
            this.stats.expired++;
            this.log(`resourceVersion ${this.stats.resourceVersion} expired (410 Gone); relisting`);
            needList = true;
            break;
          case "stalled":
            this.stats.watchdogRestarts++;
            this.log(`no event or bookmark for ${this.options.watchdogMs / 1000}s; restarting the watch`);
            break;
          case "error":
            this.stats.errors++;
            await sleep(this.backoff.next(), signal);
            break;
          case "closed":
            this.backoff.reset();
            break;
        }
      } catch (error) {
        this.stats.errors++;
        this.log(`list failed (${error instanceof Error ? error.message : String(error)}); retrying`);
        await sleep(this.backoff.next(), signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await withTimeout(this.source.list(), this.options.listTimeoutMs, `listing ${this.source.path}`);
    this.stats.lists++;
    const seen = new Set<string>();
    for (const object of items) {
      const key = keyOf(object);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, object);
      if (!old) this.emit({ type: "added", object });
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) this.emit({ type: "updated", object, old });
    }
    for (const [key, old] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.emit({ type: "deleted", object: old });
    }
    this.stats.resourceVersion = resourceVersion;
    this.backoff.reset();
    if (!this.synced) {
      this.synced = true;
      this.syncedResolve?.();
    }
  }

  private apply(phase: string, raw: unknown): WatchOutcome | undefined {
    if (phase === "ERROR") {
      const code = (raw as { code?: number } | undefined)?.code;
      this.log(`watch ERROR event: ${JSON.stringify(raw)}`);
      return code === 410 ? "expired" : "error";
    }
    const rv = (raw as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
    if (phase === "BOOKMARK") {
      if (rv) this.stats.resourceVersion = rv;
      return undefined;
    }
    let object: T;
    try {
      object = this.source.parse(raw);
    } catch (error) {
      this.log(`skipping a malformed ${phase} event: ${error instanceof Error ? error.message : String(error)}`);
      if (rv) this.stats.resourceVersion = rv;
      return undefined;
    }
    const key = keyOf(object);
    const old = this.cache.get(key);
    if (phase === "DELETED") {
      this.cache.delete(key);
      this.emit({ type: "deleted", object });
    } else if (phase === "ADDED" || phase === "MODIFIED") {
      this.cache.set(key, object);
      if (!old) this.emit({ type: "added", object });
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) this.emit({ type: "updated", object, old });
    }
    if (object.metadata.resourceVersion) this.stats.resourceVersion = object.metadata.resourceVersion;
    return undefined;
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (outcome: WatchOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        this.abortWatch = undefined;
        controller?.abort();
        resolve(outcome);
      };
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => finish("stalled"), this.options.watchdogMs);
      };
      this.abortWatch = () => finish("closed");
      arm();
      this.stats.watches++;
      const watch = new Watch(this.config);
      // The library aborts a watch after 30 s without data; bookmarks come about every minute, so
      // leave silence detection to our watchdog (the library's timer stays as a backstop).
      (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.options.watchdogMs + 5_000;
      const timeoutSeconds = this.options.watchTimeoutSeconds + Math.floor(Math.random() * this.options.watchTimeoutSeconds);
      watch
        .watch(
          this.source.path,
          {
            allowWatchBookmarks: true,
            resourceVersion: this.stats.resourceVersion || undefined,
            timeoutSeconds,
            labelSelector: this.source.labelSelector,
            fieldSelector: this.source.fieldSelector,
          },
          (phase, raw) => {
            if (settled) return;
            arm();
            const outcome = this.apply(phase, raw);
            if (outcome) finish(outcome);
          },
          (error: unknown) => {
            if (!error) return finish("closed");
            const code = (error as { statusCode?: number }).statusCode;
            if (code === 410) return finish("expired");
            if (!settled) this.log(`watch failed: ${error instanceof Error ? error.message : String(error)}`);
            finish("error");
          },
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (error: unknown) => {
            this.log(`watch could not start: ${error instanceof Error ? error.message : String(error)}`);
            finish("error");
          },
        );
    });
  }
}

/** Source for one of the nmstate.io resources. */
export function resourceSource<S extends z.ZodType<KubeObject>>(client: ResourceClient<S>, selectors: { labelSelector?: string; fieldSelector?: string } = {}): InformerSource<z.infer<S>> {
  return {
    path: client.path,
    list: () => client.list(selectors),
    parse: (raw) => client.parse(raw),
    ...selectors,
  };
}
