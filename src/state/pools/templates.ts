/**
 * Per-node templates in a desired state, besides nmpolicy's `capture.…`:
 *
 *   {{ pool.NAME }}                 the address allocated to this node from pool NAME
 *   {{ pool.NAME.prefix-length }}   the pool's prefix length (a number)
 *   {{ pool.NAME.gateway }}         the pool's gateway
 *   {{ node.name }}                 the node's name
 *   {{ node.labels["KEY"] }}        a label of the node (also node.labels.KEY for simple keys)
 *   {{ node.annotations["KEY"] }}   an annotation of the node
 *
 * A string that is one template becomes the value (a number for
 * prefix-length); a template inside a longer string is replaced by its text
 * (`description: "rack {{ node.labels["rack"] }}"`). A policy without them is
 * unchanged, so upstream policies mean what they meant. Pure: the caller
 * passes the node's values and its allocated addresses in.
 */
import { invalid, type Issue, type PathSegment } from "../issues.ts";
import { formatNetwork } from "../ip-address.ts";
import { unknownPool, type Pool } from "./pool.ts";

export type PlacementRef =
  | { kind: "pool"; pool: string; field: "address" | "prefix-length" | "gateway" }
  | { kind: "node"; field: "name" }
  | { kind: "node"; field: "labels" | "annotations"; key: string };

export interface NodeValues {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** What a pool gives one node. */
export interface PoolValue {
  address: string;
  prefixLength: number;
  gateway?: string | undefined;
}

export interface PlacementValues {
  node: NodeValues;
  pools: Record<string, PoolValue>;
}

const TEMPLATE = /\{\{\s*(pool|node)\b(.*?)\}\}/g;
const POOL_REF = /^\.([A-Za-z0-9_-]+?)(?:\.(address|prefix-length|gateway))?\s*$/;
const NODE_REF = /^\.(?:(name)|(labels|annotations)\s*(?:\[\s*"([^"]*)"\s*\]|\[\s*'([^']*)'\s*\]|\.([A-Za-z0-9_-]+)))\s*$/;
const FORMS = 'pool.NAME, pool.NAME.prefix-length, pool.NAME.gateway, node.name, node.labels["KEY"], node.annotations["KEY"]';

function parseRef(kind: string, rest: string): PlacementRef | undefined {
  if (kind === "pool") {
    const m = POOL_REF.exec(rest);
    return m ? { kind: "pool", pool: m[1]!, field: (m[2] as "address" | "prefix-length" | "gateway" | undefined) ?? "address" } : undefined;
  }
  const m = NODE_REF.exec(rest);
  if (!m) return undefined;
  if (m[1]) return { kind: "node", field: "name" };
  return { kind: "node", field: m[2] as "labels" | "annotations", key: (m[3] ?? m[4] ?? m[5])! };
}

export interface TemplateUse {
  path: PathSegment[];
  ref: PlacementRef;
  /** The string holds nothing but this template. */
  whole: boolean;
}

/** Every pool/node template in `value`, with where it is, and the malformed ones as issues. */
export function findPlacementTemplates(value: unknown): { uses: TemplateUse[]; issues: Issue[] } {
  const uses: TemplateUse[] = [];
  const issues: Issue[] = [];
  const walk = (v: unknown, path: PathSegment[]) => {
    if (typeof v === "string") {
      const matches = [...v.matchAll(TEMPLATE)];
      const whole = matches.length === 1 && matches[0]![0] === v.trim();
      for (const m of matches) {
        const ref = parseRef(m[1]!, m[2]!);
        if (ref) uses.push({ path, ref, whole });
        else issues.push(invalid(path, `"${m[0]}" is not a template nodenet knows`, `the forms are ${FORMS}`));
      }
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (v !== null && typeof v === "object") for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
  };
  walk(value, []);
  return { uses, issues };
}

/** The pools the desired state refers to (only those are allocated). */
export function poolsReferenced(value: unknown): string[] {
  return [...new Set(findPlacementTemplates(value).uses.flatMap((u) => (u.ref.kind === "pool" ? [u.ref.pool] : [])))].sort();
}

export const usesPlacementTemplates = (value: unknown) => {
  const found = findPlacementTemplates(value);
  return found.uses.length > 0 || found.issues.length > 0;
};

export const usesNodeTemplates = (value: unknown) => findPlacementTemplates(value).uses.some((u) => u.ref.kind === "node");

type Resolved = { ok: true; value: string | number } | { ok: false; message: string; hint?: string };

function resolve(ref: PlacementRef, values: PlacementValues): Resolved {
  if (ref.kind === "node") {
    if (ref.field === "name") return { ok: true, value: values.node.name };
    const map = values.node[ref.field];
    const found = map[ref.key];
    if (found !== undefined) return { ok: true, value: found };
    const singular = ref.field === "labels" ? "label" : "annotation";
    return { ok: false, message: `node ${values.node.name} has no ${singular} "${ref.key}"`, hint: `set it: kubectl ${ref.field === "labels" ? "label" : "annotate"} node ${values.node.name} ${ref.key}=VALUE` };
  }
  const pool = values.pools[ref.pool];
  if (!pool) return { ok: false, ...unknownPool(ref.pool, Object.keys(values.pools)) };
  if (ref.field === "address") return { ok: true, value: pool.address };
  if (ref.field === "prefix-length") return { ok: true, value: pool.prefixLength };
  if (pool.gateway === undefined) return { ok: false, message: `address pool '${ref.pool}' has no gateway`, hint: `set spec.addressPools.${ref.pool}.gateway` };
  return { ok: true, value: pool.gateway };
}

export type Rendered = { ok: true; value: unknown } | { ok: false; issues: Issue[] };

/** The desired state with every pool/node template filled in for one node; the input is not modified. */
export function renderPlacement(desiredState: unknown, values: PlacementValues): Rendered {
  const issues: Issue[] = [...findPlacementTemplates(desiredState).issues];
  const render = (v: unknown, path: PathSegment[]): unknown => {
    if (typeof v === "string") {
      const whole = v.trim().match(/^\{\{\s*(pool|node)\b(.*?)\}\}$/);
      if (whole && !whole[2]!.includes("{{")) {
        const ref = parseRef(whole[1]!, whole[2]!);
        if (!ref) return v;
        const r = resolve(ref, values);
        if (r.ok) return r.value;
        issues.push(invalid(path, r.message, r.hint));
        return v;
      }
      return v.replace(TEMPLATE, (text, kind: string, rest: string) => {
        const ref = parseRef(kind, rest);
        if (!ref) return text;
        const r = resolve(ref, values);
        if (r.ok) return String(r.value);
        issues.push(invalid(path, r.message, r.hint));
        return text;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => render(item, [...path, i]));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, render(item, [...path, k])]));
    return v;
  };
  const value = render(desiredState, []);
  return issues.length ? { ok: false, issues } : { ok: true, value };
}

function at(value: unknown, path: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/**
 * Whether each pool reference fits where it is used, without a node: the
 * pool exists; an address entry's family matches its `ipv4`/`ipv6` section;
 * its prefix length holds the whole pool (a /29 pool under `prefix-length:
 * 30` would put nodes in different subnets, some without the gateway); a
 * gateway reference has a gateway. Paths are relative to the desired state.
 */
export function placementIssues(desiredState: unknown, pools: ReadonlyMap<string, Pool>, declared: Iterable<string> = pools.keys()): Issue[] {
  const found = findPlacementTemplates(desiredState);
  const issues = [...found.issues];
  const names = [...declared];
  for (const use of found.uses) {
    if (use.ref.kind !== "pool") continue;
    const { ref, path } = use;
    const pool = pools.get(ref.pool);
    if (!pool) {
      // Declared but invalid: its own issue names it; undeclared: say so here.
      if (!names.includes(ref.pool)) {
        const u = unknownPool(ref.pool, names);
        issues.push(invalid(path, u.message, u.hint));
      }
      continue;
    }
    if (ref.field === "gateway" && !pool.gateway) issues.push(invalid(path, `address pool '${ref.pool}' has no gateway`, `set spec.addressPools.${ref.pool}.gateway`));
    // An address entry: interfaces[i].ipvN.address[j].ip
    const section = path.at(-4);
    if (ref.field !== "address" || path.at(-1) !== "ip" || path.at(-3) !== "address" || (section !== "ipv4" && section !== "ipv6")) continue;
    const cidr = `${ref.pool} (${formatNetwork(pool.network)})`;
    if ((section === "ipv4") !== (pool.family === 4)) {
      issues.push(invalid(path, `address pool ${cidr} is ${pool.family === 4 ? "IPv4" : "IPv6"} but this is an ${section} address`, `use an ${section === "ipv4" ? "IPv4" : "IPv6"} pool here`));
      continue;
    }
    const entry = at(desiredState, path.slice(0, -1)) as Record<string, unknown> | undefined;
    const prefix = entry?.["prefix-length"];
    const prefixPath = [...path.slice(0, -1), "prefix-length"];
    if (typeof prefix === "number" && prefix > pool.prefix) {
      issues.push(
        invalid(prefixPath, `address pool ${cidr} does not fit a /${prefix} subnet: nodes would get addresses in different /${prefix} subnets${pool.gateway ? ` and some could not reach the gateway ${pool.gateway}` : ""}`, `use prefix-length ${pool.prefix} or shorter, or "{{ pool.${ref.pool}.prefix-length }}"`),
      );
    }
  }
  return issues;
}

