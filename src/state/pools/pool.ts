/**
 * An address pool: the addresses a CIDR offers nodes, minus what is not
 * theirs to take. Pure arithmetic over bigints, both families.
 *
 * What a pool never hands out:
 * - IPv4 below /31: the network and broadcast addresses (a /29 of 8 has 6
 *   hosts); /31 and /32 use every address (RFC 3021);
 * - IPv6 below /127: the all-zeros address (the subnet-router anycast);
 * - the gateway, and every `exclude` entry (an address or a CIDR).
 *
 * So `198.51.100.0/29` with gateway `.1` gives nodes 5 addresses, .2–.6.
 */
import { didYouMean, invalid, warning, type Issue } from "../issues.ts";
import { familyBits, formatIp, formatNetwork, maskOf, networkContains, networkOf, parseIp, parseNetwork, type Family, type IpNetwork } from "../ip-address.ts";

/** A pool as declared (`spec.addressPools.NAME`). */
export interface PoolSpec {
  cidr: string;
  exclude?: string[] | undefined;
  gateway?: string | undefined;
}

interface Interval {
  lo: bigint;
  hi: bigint;
}

export interface Pool {
  name: string;
  network: IpNetwork;
  family: Family;
  prefix: number;
  gateway?: string;
  /** First and last address nodes may get, before exclusions. */
  first: bigint;
  last: bigint;
  /** Excluded intervals (gateway included), merged, sorted, clipped to [first, last]. */
  excluded: Interval[];
  /** How many addresses nodes may get. */
  capacity: bigint;
  /** Whether `exclude` took anything out (for messages). */
  excludes: boolean;
}

export type ParsedPool = { ok: true; pool: Pool; issues: Issue[] } | { ok: false; issues: Issue[] };

function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && i.lo <= last.hi + 1n) last.hi = i.hi > last.hi ? i.hi : last.hi;
    else out.push({ ...i });
  }
  return out;
}

/** Parses and checks one pool; issue paths are relative to the pool (`cidr`, `gateway`, `exclude[1]`). */
export function parsePool(name: string, spec: PoolSpec): ParsedPool {
  const issues: Issue[] = [];
  const network = typeof spec.cidr === "string" && spec.cidr.includes("/") ? parseNetwork(spec.cidr) : undefined;
  if (!network) return { ok: false, issues: [invalid(["cidr"], `"${String(spec.cidr)}" is not a CIDR`, "write a network and its prefix length, e.g. 198.51.100.0/29 or 2001:db8:1::/64")] };
  const { family, value } = network.address;
  const base = networkOf(network.address, network.prefix);
  if (base.address.value !== value) {
    return { ok: false, issues: [invalid(["cidr"], `${spec.cidr} has host bits set`, `the network is ${formatNetwork(base)}`)] };
  }
  const bits = familyBits(family);
  const size = 1n << BigInt(bits - network.prefix);
  let first = value;
  let last = value + size - 1n;
  if (family === 4 && network.prefix < 31) {
    first += 1n;
    last -= 1n;
  } else if (family === 6 && network.prefix < 127) first += 1n;

  const excluded: Interval[] = [];
  let excludes = false;
  let gateway: string | undefined;
  if (spec.gateway !== undefined) {
    const address = parseIp(spec.gateway);
    if (!address) issues.push(invalid(["gateway"], `"${spec.gateway}" is not an IP address`));
    else if (!networkContains(network, address)) {
      issues.push(invalid(["gateway"], `gateway ${spec.gateway} is outside the pool ${spec.cidr}`, `nodes get addresses in ${spec.cidr} and could not reach it; use a gateway inside it`));
    } else {
      gateway = formatIp(address);
      excluded.push({ lo: address.value, hi: address.value });
    }
  }
  for (const [i, entry] of (spec.exclude ?? []).entries()) {
    const range = typeof entry === "string" ? parseNetwork(entry) : undefined;
    if (!range || range.address.family !== family) {
      issues.push(invalid(["exclude", i], `"${String(entry)}" is not ${family === 4 ? "an IPv4" : "an IPv6"} address or CIDR`));
      continue;
    }
    const lo = range.address.value & maskOf(family, range.prefix);
    const hi = lo + (1n << BigInt(bits - range.prefix)) - 1n;
    if (hi < value || lo > value + size - 1n) {
      issues.push(warning(["exclude", i], `${entry} is outside the pool ${spec.cidr}; it excludes nothing`));
      continue;
    }
    excluded.push({ lo, hi });
    excludes = true;
  }
  const clipped = mergeIntervals(excluded)
    .map((i) => ({ lo: i.lo < first ? first : i.lo, hi: i.hi > last ? last : i.hi }))
    .filter((i) => i.lo <= i.hi);
  const capacity = clipped.reduce((n, i) => n - (i.hi - i.lo + 1n), last - first + 1n);
  if (issues.some((i) => i.severity === "error")) return { ok: false, issues };
  const pool: Pool = { name, network, family, prefix: network.prefix, first, last, excluded: clipped, capacity, excludes, ...(gateway ? { gateway } : {}) };
  if (capacity <= 0n) return { ok: false, issues: [...issues, invalid(["cidr"], `the pool ${spec.cidr} has no address left for nodes once ${describeReserved(pool)} are taken out`)] };
  return { ok: true, pool, issues };
}

function describeReserved(pool: Pool): string {
  const parts = [pool.family === 4 && pool.prefix < 31 ? "the network and broadcast addresses" : pool.family === 6 && pool.prefix < 127 ? "the subnet-router address" : ""];
  if (pool.gateway) parts.push(`the gateway ${pool.gateway}`);
  if (pool.excludes) parts.push("the excluded addresses");
  return parts.filter(Boolean).join(", ") || "nothing";
}

/** Whether a node may hold `address` (text) in this pool. */
export function allocatable(pool: Pool, address: string): boolean {
  const ip = parseIp(address);
  if (!ip || ip.family !== pool.family || ip.value < pool.first || ip.value > pool.last) return false;
  return !pool.excluded.some((i) => ip.value >= i.lo && ip.value <= i.hi);
}

/** The lowest address of the pool that is allocatable and not in `taken` (canonical texts), if any. */
export function lowestFree(pool: Pool, taken: ReadonlySet<string>): string | undefined {
  const held = new Set([...taken].flatMap((t) => {
    const ip = parseIp(t);
    return ip && ip.family === pool.family ? [ip.value] : [];
  }));
  let candidate = pool.first;
  let next = 0;
  while (candidate <= pool.last) {
    const gap = pool.excluded[next];
    if (gap && candidate >= gap.lo) {
      if (candidate <= gap.hi) candidate = gap.hi + 1n;
      next++;
      continue;
    }
    if (!held.has(candidate)) return formatIp({ family: pool.family, value: candidate });
    candidate++;
  }
  return undefined;
}

/** "5 addresses (198.51.100.2–198.51.100.6)" */
export function describeCapacity(pool: Pool): string {
  const count = pool.capacity === 1n ? "1 address" : `${pool.capacity} addresses`;
  return `${count} for nodes in ${formatNetwork(pool.network)} (without ${describeReserved(pool)})`;
}

export type PoolSet = { pools: Map<string, Pool>; issues: Issue[] };

/** Every pool of `spec.addressPools`, parsed; issue paths start at the pool's name. */
export function parsePools(specs: Record<string, PoolSpec> | undefined): PoolSet {
  const pools = new Map<string, Pool>();
  const issues: Issue[] = [];
  for (const [name, spec] of Object.entries(specs ?? {})) {
    const parsed = parsePool(name, spec);
    issues.push(...parsed.issues.map((i) => ({ ...i, path: [name, ...i.path] })));
    if (parsed.ok) pools.set(name, parsed.pool);
  }
  return { pools, issues };
}

/** `unknown address pool 'storag'` with a did-you-mean or the list of pools. */
export function unknownPool(name: string, known: Iterable<string>): { message: string; hint: string } {
  const names = [...known];
  const guess = didYouMean(name, names);
  return {
    message: `unknown address pool '${name}'`,
    hint: guess ? `did you mean '${guess}'?` : names.length ? `spec.addressPools has: ${names.join(", ")}` : "declare it in spec.addressPools",
  };
}
