/**
 * Several documents (or files) given to one command form one desired state and
 * one transaction: interfaces and routes are concatenated in order; DNS and
 * hostname are taken from the last document that sets them.
 */
import type { NetworkState } from "./schema/state.ts";

export function combineStates(states: readonly NetworkState[]): NetworkState {
  if (states.length === 1) return states[0]!;
  const out: NetworkState = {};
  for (const state of states) {
    if (state.interfaces) out.interfaces = [...(out.interfaces ?? []), ...state.interfaces];
    if (state.routes?.config) out.routes = { config: [...(out.routes?.config ?? []), ...state.routes.config] };
    if (state["route-rules"]?.config) out["route-rules"] = { config: [...(out["route-rules"]?.config ?? []), ...state["route-rules"].config] };
    if (state["dns-resolver"]?.config) out["dns-resolver"] = { config: state["dns-resolver"].config };
    if (state.hostname) out.hostname = state.hostname;
  }
  return out;
}
