import { z } from "zod";

/**
 * nmstate accepts integers written as strings (`miimon: '140'`, `fwmark: 0x30`)
 * because YAML authors quote them and kubernetes-nmstate round-trips them as
 * strings. We accept the same spellings and hand the rest of the code a number.
 */
export function coerceInteger(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  return value;
}

/** An integer in [min, max], also accepted as a decimal or 0x-hex string. */
export function integer(min: number, max: number) {
  return z.preprocess(coerceInteger, z.int().min(min).max(max));
}

export const u32 = () => integer(0, 0xffff_ffff);

const TRUE_WORDS = new Set(["1", "true", "yes", "on", "y"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", "n"]);

/**
 * Booleans in every spelling nmstate's deserializer takes: YAML booleans, the
 * integers 0 and 1, and the strings 1|0|true|false|yes|no|on|off|y|n in any
 * case (policies templated by other tools quote them). All become true/false.
 */
export function coerceBoolean(value: unknown): unknown {
  if (value === 0 || value === 1) return value === 1;
  if (typeof value !== "string") return value;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return value;
}

export const boolean = () => z.preprocess(coerceBoolean, z.boolean());

/** UTF-8 length: the kernel counts bytes, and "é" is two of them. */
export const byteLength = (text: string) => new TextEncoder().encode(text).length;

/** Kernel interface names: at most 15 bytes, no '/', no whitespace, not "." or ".." (IFNAMSIZ - 1; dev_valid_name). */
export const interfaceName = () =>
  z
    .string()
    .min(1, "an interface name cannot be empty")
    .max(15, "interface names are at most 15 characters (kernel IFNAMSIZ)")
    .regex(/^[^\s/:]+$/, "interface names cannot contain whitespace, '/' or ':'")
    .refine((name) => name !== "." && name !== "..", "interface names cannot be . or .. (the kernel refuses them)")
    .refine((name) => byteLength(name) <= 15, "interface names are at most 15 bytes (kernel IFNAMSIZ); this one is longer in UTF-8");

/** Interface descriptions (the kernel's ifalias): at most 255 bytes. */
export const interfaceDescription = () => z.string().refine((text) => byteLength(text) <= 255, "a description is at most 255 bytes (kernel IFALIASZ)");

export const macAddress = () =>
  z
    .string()
    .regex(
      /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/,
      "expected a MAC address like 02:00:5E:10:00:01",
    );
