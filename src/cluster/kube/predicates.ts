/**
 * Event filters for the controller kit, after controller-runtime's
 * `predicate` package: an informer event passes when a predicate says so.
 * Additions and deletions always pass; the predicates judge updates.
 */
import type { InformerEvent } from "./informer.ts";
import type { KubeObject } from "./resources.ts";
import { deepEqual } from "../../state/objects.ts";

export type Predicate<T> = (event: InformerEvent<T>) => boolean;

type Meta = KubeObject["metadata"] & { generation?: number; labels?: Record<string, string>; deletionTimestamp?: string; finalizers?: string[] };
const meta = (o: KubeObject) => o.metadata as Meta;

/** Passes updates that change the spec (metadata.generation): a status write does not. */
export const generationChanged: Predicate<KubeObject> = (e) => e.type !== "updated" || meta(e.object).generation !== meta(e.old).generation;

/** Passes updates that change the labels. */
export const labelsChanged: Predicate<KubeObject> = (e) => e.type !== "updated" || !deepEqual(meta(e.object).labels ?? {}, meta(e.old).labels ?? {});

/** Passes updates that start a deletion or change the finalizers that hold it. */
export const deletionChanged: Predicate<KubeObject> = (e) =>
  e.type !== "updated" || meta(e.object).deletionTimestamp !== meta(e.old).deletionTimestamp || !deepEqual(meta(e.object).finalizers ?? [], meta(e.old).finalizers ?? []);

/** Passes when any of the predicates does. */
export function anyOf<T>(...predicates: Predicate<T>[]): Predicate<T> {
  return (e) => predicates.some((p) => p(e));
}
