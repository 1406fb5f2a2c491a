/**
 * Comparing rendered manifests (kustomize, helm template) with deploy/:
 * objects keyed by kind/namespace/name, and every leaf where two objects
 * differ, as a path — so a test can say exactly which differences it allows.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseManifests } from "../../src/cluster/kube/apply.ts";

export type Manifest = KubernetesObject & Record<string, unknown>;

export const keyOf = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

/** The objects of a YAML stream by key; a duplicate key is an error. */
export function byKey(yaml: string): Map<string, Manifest> {
  const out = new Map<string, Manifest>();
  for (const o of parseManifests(yaml) as Manifest[]) {
    const key = keyOf(o);
    if (out.has(key)) throw new Error(`${key} is rendered twice`);
    out.set(key, o);
  }
  return out;
}

/**
 * Leaf paths where `a` and `b` differ, like
 * `spec.template.spec.containers[0].image: "nodenet:0.1.0" → "x:1"`.
 * Lists are compared by index; a key missing on one side shows as undefined.
 */
export function differences(a: unknown, b: unknown, path = ""): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => differences(a[i], b[i], `${path}[${i}]`)).flat();
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every container (init containers included) of a workload's pod template. */
export function containersOf(o: Manifest): Record<string, unknown>[] {
  const pod = ((o.spec as Record<string, unknown> | undefined)?.template as Record<string, unknown> | undefined)?.spec as Record<string, unknown> | undefined;
  return [...((pod?.initContainers as Record<string, unknown>[]) ?? []), ...((pod?.containers as Record<string, unknown>[]) ?? [])];
}

/** `value` with `f` applied to every string in it. */
export function mapStrings<T>(value: T, f: (s: string) => string): T {
  if (typeof value === "string") return f(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)])) as T;
  return value;
}
