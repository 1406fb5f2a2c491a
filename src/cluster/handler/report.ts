/**
 * What a node reports in its NodeNetworkState: the host state as `show`
 * prints it (already without volatile fields such as address lifetimes and
 * bridge timers), minus interfaces that churn with pods (container veths,
 * `veth*` by default, as upstream filters them), and small enough for the API.
 *
 * Size: etcd refuses objects over ~1.5 MiB. A state over the budget (default
 * 1 MiB of JSON) is reported in summary form — every interface with its name,
 * type, state, controller, MTU, MAC and addresses, and main-table routes — and
 * `truncated` says so and why, so that a node with many hundreds of
 * interfaces keeps reporting instead of failing every write.
 */
import { globMatcher } from "../../state/glob.ts";
import type { Interface } from "../../state/schema/interface.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { sortKeys } from "../../state/objects.ts";

export interface ReportOptions {
  /** Interfaces left out of the report, as globs (default: veth*). */
  exclude?: readonly string[];
  budgetBytes?: number;
}

export interface Report {
  state: NetworkState;
  /** Set when the full state did not fit the budget. */
  truncated?: { reason: string; fullBytes: number; interfaces: number };
  /** Stable digest of `state`: equal digests mean nothing worth writing changed. */
  digest: string;
}

export const DEFAULT_EXCLUDE = ["veth*"];
export const DEFAULT_BUDGET_BYTES = 1 << 20;

function summary(iface: Interface): Interface {
  const keep: Interface = { name: iface.name };
  for (const key of ["type", "state", "controller", "mtu", "mac-address"] as const) {
    if (iface[key] !== undefined) (keep as Record<string, unknown>)[key] = iface[key];
  }
  for (const family of ["ipv4", "ipv6"] as const) {
    const ip = iface[family];
    if (ip) keep[family] = { enabled: ip.enabled ?? false, ...(ip.dhcp ? { dhcp: true } : {}), address: ip.address ?? [] };
  }
  return keep;
}

export function reportState(state: NetworkState, options: ReportOptions = {}): Report {
  const excluded = globMatcher(options.exclude ?? DEFAULT_EXCLUDE);
  const exclude = (options.exclude ?? DEFAULT_EXCLUDE).length ? excluded : () => false;
  const keepRoute = (r: { "next-hop-interface"?: string | undefined }) => !r["next-hop-interface"] || !exclude(r["next-hop-interface"]);
  const full: NetworkState = {
    ...state,
    interfaces: (state.interfaces ?? []).filter((i) => !exclude(i.name)),
    ...(state.routes ? { routes: { config: (state.routes.config ?? []).filter(keepRoute), running: (state.routes.running ?? []).filter(keepRoute) } } : {}),
  };
  const fullText = JSON.stringify(sortKeys(full));
  const budget = options.budgetBytes ?? DEFAULT_BUDGET_BYTES;
  if (fullText.length <= budget) return { state: full, digest: digest(fullText) };
  const small: NetworkState = {
    interfaces: (full.interfaces ?? []).map(summary),
    routes: { running: (full.routes?.running ?? []).filter((r) => (r["table-id"] ?? 254) === 254) },
    ...(full["dns-resolver"] ? { "dns-resolver": full["dns-resolver"] } : {}),
  };
  const smallText = JSON.stringify(sortKeys(small));
  return {
    state: small,
    truncated: {
      reason: `the full state is ${fullText.length} bytes, over the ${budget}-byte budget for one API object; interfaces are summarised and only main-table routes are listed`,
      fullBytes: fullText.length,
      interfaces: small.interfaces?.length ?? 0,
    },
    digest: digest(smallText),
  };
}

/** FNV-1a over the text: cheap, stable, good enough to notice a change. */
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${text.length.toString(16)}-${h.toString(16)}`;
}
