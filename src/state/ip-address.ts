/**
 * IP address arithmetic without I/O: parsing, canonical text (RFC 5952 for
 * IPv6), prefix containment. Addresses are bigints so one code path serves
 * both families.
 */
export type Family = 4 | 6;

export interface IpAddress {
  family: Family;
  value: bigint;
}

export interface IpNetwork {
  address: IpAddress;
  prefix: number;
}

const V4_BITS = 32;
const V6_BITS = 128;
export const familyBits = (family: Family) => (family === 4 ? V4_BITS : V6_BITS);

function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith("0"))) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseV4(piece);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses `192.0.2.1` or `2001:db8::1` (an optional `%zone` is not accepted here). */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== "string") return undefined;
  const v4 = parseV4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseV6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

/** Parses `192.0.2.0/24`; a bare address is a host route (/32, /128). */
export function parseNetwork(text: string): IpNetwork | undefined {
  if (typeof text !== "string") return undefined;
  const slash = text.indexOf("/");
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = familyBits(address.family);
  if (slash < 0) return { address, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= bits ? { address, prefix } : undefined;
}

export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join(".");
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((address.value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (of at least two) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export function maskOf(family: Family, prefix: number): bigint {
  const bits = familyBits(family);
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

/** The network an address belongs to, host bits cleared. */
export function networkOf(address: IpAddress, prefix: number): IpNetwork {
  return { address: { family: address.family, value: address.value & maskOf(address.family, prefix) }, prefix };
}

export function formatNetwork(network: IpNetwork): string {
  return `${formatIp(network.address)}/${network.prefix}`;
}

export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.address.family !== address.family) return false;
  const mask = maskOf(address.family, network.prefix);
  return (network.address.value & mask) === (address.value & mask);
}

/** Canonical text of an address, or the input unchanged when it does not parse. */
export function canonicalIp(text: string): string {
  const parsed = parseIp(text);
  return parsed ? formatIp(parsed) : text;
}

/** Canonical text of a network with host bits cleared (`192.0.2.7/24` → `192.0.2.0/24`). */
export function canonicalNetwork(text: string): string {
  const parsed = parseNetwork(text);
  return parsed ? formatNetwork(networkOf(parsed.address, parsed.prefix)) : text;
}

export function familyOfText(text: string): Family | undefined {
  return parseNetwork(text)?.address.family;
}

/** `::ffff:192.0.2.1`: an IPv4 address dressed as IPv6. */
export function isIpv4Mapped(address: IpAddress): boolean {
  return address.family === 6 && address.value >> 32n === 0xffffn;
}

/** `::192.0.2.1` (deprecated RFC 4291 form); `::` and `::1` are not counted. */
export function isIpv4Compatible(address: IpAddress): boolean {
  return address.family === 6 && address.value >> 32n === 0n && address.value > 1n;
}

export function isLinkLocal(address: IpAddress): boolean {
  if (address.family === 6) return address.value >> 118n === 0x3fan; // fe80::/10
  return address.value >> 16n === 0xa9fen; // 169.254.0.0/16
}

export function isDefaultDestination(destination: string | undefined): boolean {
  return destination === "0.0.0.0/0" || destination === "::/0";
}
