/** Small helpers for loosely typed iproute2 JSON values, and a stable name order. */

/** A number, or numeric text as iproute2 prints some values ("0x8", "254", "0"). */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  return undefined;
}

export const stringOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Code-unit order: the same on every machine, whatever the locale. */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const byName = (a: { ifname: string }, b: { ifname: string }) => compareText(a.ifname, b.ifname);

/** `aa:bb:cc:dd:ee:ff` upper-cased, or undefined for anything that is not a 6-byte MAC. */
export function macOf(value: unknown): string | undefined {
  return typeof value === "string" && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(value) ? value.toUpperCase() : undefined;
}

/**
 * A VLAN protocol as iproute2 prints it: "802.1Q"/"802.1ad" by name, or with
 * `-N` the ethertype as "[33024]" (0x8100) / "[34984]" (0x88a8).
 */
export function vlanProtocolOf(value: unknown): "802.1q" | "802.1ad" | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim().toLowerCase();
  const number = numberOf(text.replace(/^\[(.*)\]$/, "$1"));
  if (text === "802.1q" || number === 0x8100) return "802.1q";
  if (text === "802.1ad" || number === 0x88a8) return "802.1ad";
  return undefined;
}
