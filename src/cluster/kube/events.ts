/**
 * Kubernetes Events (events.k8s.io/v1) about nodenet's objects, e.g. "rolled
 * back on node-1: default gateway unreachable". Repeats of the same event
 * within ten minutes update one Event's `series` instead of creating new
 * ones. Recording never throws: an event is worth less than the work it
 * describes.
 */
import { PatchStrategy, V1MicroTime, setHeaderOptions } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Kube } from "./config.ts";

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventInput {
  regarding: ObjectReference;
  related?: ObjectReference;
  type: "Normal" | "Warning";
  /** CamelCase, machine-readable: "FailedToConfigure", "DriftCorrected". */
  reason: string;
  /** What was done: "Apply", "Rollback", "Drain". */
  action: string;
  /** Human-readable, at most 1 kB. */
  note: string;
}

export interface EventRecorderOptions {
  /** e.g. "nodenet.io/handler". */
  reportingController: string;
  /** e.g. the node or pod name. */
  reportingInstance: string;
  /** Unused for cluster-scoped objects, whose Events the API server accepts only in "default". */
  namespace: string;
  log?: (message: string) => void;
}

const SERIES_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private readonly kube: Kube;
  private readonly options: EventRecorderOptions;
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(kube: Kube, options: EventRecorderOptions) {
    this.kube = kube;
    this.options = options;
  }

  async record(event: EventInput): Promise<void> {
    // The API server requires Events about cluster-scoped objects to live in "default".
    const namespace = event.regarding.namespace ?? "default";
    const key = JSON.stringify([event.regarding.kind, event.regarding.name, event.regarding.uid, event.type, event.reason, event.action, event.note]);
    const now = Date.now();
    const previous = this.recent.get(key);
    try {
      if (previous && now - previous.at < SERIES_WINDOW_MS) {
        previous.count++;
        previous.at = now;
        await this.kube.events.patchNamespacedEvent(
          { namespace: previous.namespace, name: previous.name, body: { series: { count: previous.count, lastObservedTime: new V1MicroTime(now) } } },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${event.regarding.name}.${randomBytes(8).toString("hex")}`;
      await this.kube.events.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          eventTime: new V1MicroTime(now),
          reportingController: this.options.reportingController,
          reportingInstance: this.options.reportingInstance,
          regarding: event.regarding,
          related: event.related,
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: event.note.slice(0, 1024),
        },
      });
      this.recent.set(key, { name, namespace, count: 1, at: now });
      if (this.recent.size > 1000) this.prune(now);
    } catch (error) {
      this.recent.delete(key);
      this.options.log?.(`could not record event ${event.reason} for ${event.regarding.kind}/${event.regarding.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private prune(now: number): void {
    for (const [key, entry] of this.recent) if (now - entry.at >= SERIES_WINDOW_MS) this.recent.delete(key);
  }
}
