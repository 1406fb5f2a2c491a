/**
 * Which IPv4 addresses to remove and add so that the kernel ends up listing
 * a link's addresses in the order they were declared.
 *
 * The order is meaningful (nmstate preserves it, and NetworkManager gives the
 * kernel the addresses in it): the first address of a subnet is its primary,
 * the source the kernel picks for that subnet; the others are secondaries.
 * The kernel keeps primaries in the order they were added and appends every
 * secondary after all primaries, so the order a declared list stands for is
 * the first address of each subnet (in declared order) and then the rest (in
 * declared order) — what adding the list one by one to a bare link gives.
 *
 * The kernel's current list is kept as far as it already agrees with that
 * order; everything after is removed, secondaries before primaries (newest
 * first), and added again in order. Removing a subnet's secondaries before its
 * primary leaves nothing for the kernel to drop along with the primary, or
 * to promote in its place (hosts differ in which they do), so the result is
 * the same on either. A rollback applies the previous `show`, which lists
 * the kernel's order, so it restores that order exactly.
 */
import { canonicalIp, networkOf, parseIp } from "../ip-address.ts";
import type { Address } from "../schema/ip.ts";

const addressKey = (a: Address) => `${a.ip}/${a["prefix-length"]}`;

function subnetKey(a: Address): string {
  const parsed = parseIp(a.ip);
  return parsed ? `${networkOf(parsed, a["prefix-length"]).address.value}/${a["prefix-length"]}` : addressKey(a);
}

/** Canonical spellings, first occurrence kept. */
function canonical(addresses: readonly Address[]): Address[] {
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const a of addresses) {
    const c = { ip: canonicalIp(a.ip), "prefix-length": a["prefix-length"] };
    if (seen.has(addressKey(c))) continue;
    seen.add(addressKey(c));
    out.push(c);
  }
  return out;
}

/** The list split as the kernel holds it: each subnet's first address (primary), then the others. */
function primariesAndSecondaries(addresses: readonly Address[]): { primaries: Address[]; secondaries: Address[] } {
  const subnets = new Set<string>();
  const primaries: Address[] = [];
  const secondaries: Address[] = [];
  for (const a of addresses) {
    const subnet = subnetKey(a);
    (subnets.has(subnet) ? secondaries : primaries).push(a);
    subnets.add(subnet);
  }
  return { primaries, secondaries };
}

function agreeingRun(have: readonly Address[], want: readonly Address[]): Address[] {
  let n = 0;
  while (n < have.length && n < want.length && addressKey(have[n]!) === addressKey(want[n]!)) n++;
  return have.slice(0, n);
}

/**
 * `current` in the kernel's order, `declared` in the user's: the addresses to
 * delete (in this order) and then to add (in this order).
 *
 * By default each subnet is compared on its own: another subnet's primary
 * listed first or later is no change (which subnet comes first is not what a
 * user declares by listing them). `exact` also restores the order of the
 * primaries across subnets — for a rollback, whose target is an earlier
 * reading of the kernel and must come back byte for byte.
 */
export function planIpv4Order(current: readonly Address[], declared: readonly Address[], options: { exact?: boolean } = {}): { remove: Address[]; add: Address[] } {
  const have = primariesAndSecondaries(canonical(current));
  const want = primariesAndSecondaries(canonical(declared));
  const kept = new Set((options.exact ? keptInOrder(have, want) : keptPerSubnet(have, want)).map(addressKey));
  const remove = [...have.primaries, ...have.secondaries].filter((a) => !kept.has(addressKey(a))).reverse();
  const add = [...want.primaries, ...want.secondaries].filter((a) => !kept.has(addressKey(a)));
  return { remove, add };
}

type Split = ReturnType<typeof primariesAndSecondaries>;

/** What stays of each subnet: the run of its addresses (primary first) that agrees with its declared ones. */
function keptPerSubnet(have: Split, want: Split): Address[] {
  const bySubnet = (s: Split) => Map.groupBy([...s.primaries, ...s.secondaries], subnetKey);
  const wanted = bySubnet(want);
  return [...bySubnet(have)].flatMap(([subnet, addresses]) => agreeingRun(addresses, wanted.get(subnet) ?? []));
}

/** What stays of the whole list: the agreeing run of primaries, then of those primaries' secondaries. */
function keptInOrder(have: Split, want: Split): Address[] {
  const keptPrimaries = agreeingRun(have.primaries, want.primaries);
  const keptSubnets = new Set(keptPrimaries.map(subnetKey));
  return [...keptPrimaries, ...agreeingRun(have.secondaries.filter((a) => keptSubnets.has(subnetKey(a))), want.secondaries)];
}

/**
 * The addresses as far as their order means something: grouped by subnet (the
 * subnets in a fixed order), each subnet's in the given order. Two lists a plan
 * treats alike come out equal, so `diff` shows exactly the order changes apply makes.
 */
export function subnetOrdered(addresses: readonly Address[]): Address[] {
  const key = (a: Address) => subnetKey(a);
  return canonical(addresses).sort((x, y) => (key(x) === key(y) ? 0 : key(x) < key(y) ? -1 : 1));
}
