/** Address syntax and meaning: the mistakes that take a node off the network. */
import { invalid, warning } from "../issues.ts";
import {
  familyBits,
  formatIp,
  isIpv4Compatible,
  isIpv4Mapped,
  isLinkLocal,
  networkOf,
  formatNetwork,
  parseIp,
  parseNetwork,
  type IpAddress,
} from "../ip-address.ts";
import type { RuleContext } from "./context.ts";
import type { IssuePath } from "../issues.ts";

/** Explains the common ways an address is mistyped, so the hint fixes it. */
export function addressProblem(text: string): { message: string; hint?: string } | undefined {
  if (parseIp(text)) return undefined;
  const withPrefix = /^(.+?)\s*[\\/]\s*(\d{1,3})$/.exec(text);
  if (withPrefix && parseIp(withPrefix[1]!)) {
    return {
      message: `"${text}" is an address with a prefix length, not an address`,
      hint: `write ip: ${withPrefix[1]} and prefix-length: ${withPrefix[2]}`,
    };
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) return { message: `"${text}" is not an IPv4 address: each part must be 0–255 without leading zeros` };
  if (text.includes("%")) return { message: `"${text}" has a zone index; give the interface in the field for it instead` };
  return { message: `"${text}" is not an IPv4 or IPv6 address` };
}

/** IPv4 dressed as IPv6 is refused: kernels, resolvers and tools disagree about which family it is. */
/** `written` is the address as the user wrote it (`::ffff:192.0.2.1`, not its canonical `::ffff:c000:201`). */
export function embeddedIpv4Problem(address: IpAddress, written = formatIp(address)): string | undefined {
  const v4 = formatIp({ family: 4, value: address.value & 0xffff_ffffn });
  if (isIpv4Mapped(address)) {
    return `${written} is an IPv4-mapped IPv6 address; half the tools treat it as IPv4 ${v4} and half as IPv6, so it is refused — use ${v4} in the IPv4 section`;
  }
  if (isIpv4Compatible(address)) {
    return `${written} is an IPv4-compatible IPv6 address (deprecated by RFC 4291); tools disagree on whether it is IPv4 ${v4} — use ${v4} in the IPv4 section or a real IPv6 address`;
  }
  return undefined;
}

/** Checks a text that must be an address of `family` (if given); reports at `path`. */
export function checkAddressText(ctx: RuleContext, path: IssuePath, text: string, family?: 4 | 6): IpAddress | undefined {
  const problem = addressProblem(text);
  if (problem) {
    ctx.report(invalid(path, problem.message, problem.hint));
    return undefined;
  }
  const address = parseIp(text)!;
  const embedded = embeddedIpv4Problem(address, text);
  if (embedded) {
    ctx.report(invalid(path, embedded));
    return undefined;
  }
  if (family && address.family !== family) {
    ctx.report(invalid(path, `${text} is an IPv${address.family} address in the IPv${family} section`, `move it to ipv${address.family}`));
    return undefined;
  }
  return address;
}

/** Checks `a.b.c.d/len` style network text. */
export function checkNetworkText(ctx: RuleContext, path: IssuePath, text: string): ReturnType<typeof parseNetwork> {
  const network = parseNetwork(text);
  if (!network) {
    const bare = text.split("/")[0] ?? text;
    const problem = addressProblem(bare);
    ctx.report(invalid(path, problem ? `"${text}": ${problem.message}` : `"${text}" is not a network: the prefix length must be 0–32 for IPv4 and 0–128 for IPv6`, problem?.hint));
    return undefined;
  }
  const embedded = embeddedIpv4Problem(network.address, text.split("/")[0]);
  if (embedded) {
    ctx.report(invalid(path, embedded));
    return undefined;
  }
  return network;
}

export function checkInterfaceAddresses(ctx: RuleContext): void {
  (ctx.desired.interfaces ?? []).forEach((iface, index) => {
    for (const family of ["ipv4", "ipv6"] as const) {
      const addresses = iface[family]?.address ?? [];
      const bits = familyBits(family === "ipv4" ? 4 : 6);
      const seen = new Map<string, number>();
      addresses.forEach((entry, i) => {
        const path: IssuePath = ["interfaces", index, family, "address", i];
        const address = checkAddressText(ctx, [...path, "ip"], entry.ip, family === "ipv4" ? 4 : 6);
        if (!address) return;
        const prefix = entry["prefix-length"];
        if (prefix > bits) {
          ctx.report(invalid([...path, "prefix-length"], `${prefix} is out of range for ${family}: 0–${bits}`));
          return;
        }
        if (family === "ipv6" && isLinkLocal(address)) {
          ctx.report(warning([...path, "ip"], `${entry.ip} is link-local; the kernel makes its own fe80:: address and nodenet does not report static link-local addresses`));
        }
        if (family === "ipv4" && prefix < 31 && (address.value & ((1n << BigInt(32 - prefix)) - 1n)) === 0n && prefix > 0) {
          ctx.report(invalid([...path, "ip"], `${entry.ip}/${prefix} is the network address of its subnet, not a host address`));
        }
        const subnet = formatNetwork(networkOf(address, prefix));
        const first = seen.get(subnet);
        if (first !== undefined && !ctx.options.allowSameSubnet) {
          ctx.report(
            warning([...path, "ip"], `${entry.ip} is in the same subnet ${subnet} as address[${first}]; the kernel makes the second one secondary and it disappears when the first is removed`, "use one address per subnet, or pass --allow-same-subnet"),
          );
        } else if (first === undefined) {
          seen.set(subnet, i);
        }
      });
    }
  });
}

export function checkDnsServers(ctx: RuleContext): void {
  const config = ctx.desired["dns-resolver"]?.config;
  (config?.options ?? []).forEach((option, i) => checkDnsOption(ctx, ["dns-resolver", "config", "options", i], option));
  (config?.server ?? []).forEach((server, i) => {
    const path: IssuePath = ["dns-resolver", "config", "server", i];
    const [text, zone] = server.split("%", 2) as [string, string | undefined];
    const address = checkAddressText(ctx, path, text);
    if (!address) return;
    if (address.family === 6 && isLinkLocal(address)) {
      if (!zone) {
        ctx.report(invalid(path, `${server} is an IPv6 link-local address and means nothing without an interface`, `write it as ${text}%eth0 with the interface that reaches it`));
      } else if (!ctx.target(zone)) {
        ctx.report(invalid(path, `${server} names interface ${zone}, which will not exist`));
      }
    } else if (zone) {
      ctx.report(invalid(path, `${server}: only IPv6 link-local servers take an interface (%${zone})`));
    }
  });
  if ((config?.server?.length ?? 0) > 3) {
    ctx.report(warning(["dns-resolver", "config", "server"], "the resolver in glibc uses only the first 3 servers"));
  }
  (config?.search ?? []).forEach((domain, i) => {
    if (!/^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(domain) || domain.length > 253) {
      ctx.report(invalid(["dns-resolver", "config", "search", i], `"${domain}" is not a domain name`));
    }
  });
}

/** resolv.conf options nmstate accepts (dns.rs): these without a value… */
const DNS_OPTIONS = ["debug", "edns0", "inet6", "ip6-bytestring", "ip6-dotint", "no-aaaa", "no-check-names", "no-ip6-dotint", "no-reload", "no-tld-query", "rotate", "single-request", "single-request-reopen", "trust-ad", "use-vc"];
/** …and these with one (`ndots:2`). glibc ignores an option it does not know, so a typo would pass silently. */
const DNS_OPTIONS_WITH_VALUE = ["ndots", "timeout", "attempts"];

function checkDnsOption(ctx: RuleContext, path: IssuePath, option: string): void {
  const [name = "", value] = option.split(":", 2);
  if (value === undefined ? DNS_OPTIONS.includes(name) : DNS_OPTIONS_WITH_VALUE.includes(name) && /^\d+$/.test(value)) return;
  const known = value === undefined ? DNS_OPTIONS : DNS_OPTIONS_WITH_VALUE.map((n) => `${n}:N`);
  ctx.report(invalid(path, `"${option}" is not a resolver option`, `use one of: ${known.join(", ")}`));
}
