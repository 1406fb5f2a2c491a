/**
 * nmstate accepts several spellings for the same thing; they are rewritten
 * here to the one spelling the schema knows, before validation, so that every
 * later stage sees a single form. Works on a deep copy of untyped input.
 */
import { clone } from "../objects.ts";
import { BOND_MODES } from "../schema/bond.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function rename(obj: Json, from: string, to: string): void {
  if (from in obj && !(to in obj)) {
    obj[to] = obj[from];
    delete obj[from];
  }
}

/** Bond modes may be given as numbers (`mode: 1`) or their names. */
function bondMode(value: unknown): unknown {
  const index = typeof value === "number" ? value : typeof value === "string" && /^\d$/.test(value) ? Number(value) : undefined;
  return index !== undefined && BOND_MODES[index] ? BOND_MODES[index] : value;
}

function normaliseBond(la: Json): void {
  rename(la, "slaves", "port");
  rename(la, "ports", "port");
  if ("mode" in la) la.mode = bondMode(la.mode);
  if (Array.isArray(la.port)) {
    // OVS-style `port: [{name: eth1}]` appears in the wild; the Linux bond wants names.
    la.port = la.port.map((p) => (isObject(p) && typeof p.name === "string" && Object.keys(p).length === 1 ? p.name : p));
  }
  if (isObject(la.options)) {
    const options: Json = {};
    for (const [key, value] of Object.entries(la.options)) options[key.replaceAll("-", "_")] = value;
    la.options = options;
  }
}

function normaliseBridge(bridge: Json): void {
  if (isObject(bridge.options)) rename(bridge.options, "group-fwd-mask", "group-forward-mask");
  rename(bridge, "slaves", "port");
  rename(bridge, "ports", "port");
}

/** Returns a normalised deep copy; the input is not changed. */
export function normaliseAliases(state: unknown): unknown {
  const copy = clone(state);
  if (!isObject(copy) || !Array.isArray(copy.interfaces)) return copy;
  for (const iface of copy.interfaces) {
    if (!isObject(iface)) continue;
    if (isObject(iface["link-aggregation"])) normaliseBond(iface["link-aggregation"]);
    if (isObject(iface.bridge)) normaliseBridge(iface.bridge);
    if (typeof iface["mac-address"] === "string") iface["mac-address"] = iface["mac-address"].toUpperCase();
  }
  return copy;
}
