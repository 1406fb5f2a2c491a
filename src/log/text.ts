/**
 * The human-readable rendering of a JSON log line, for a terminal: time,
 * level, the context fields as key=value, the message, then other fields.
 * A small formatter of our own rather than pino-pretty and its dozen
 * dependencies: the handler and controller need one line format, no themes.
 */
const CONTEXT = ["component", "node", "policy", "generation", "enactment"];
const HIDDEN = new Set(["level", "time", "msg", "pid", "hostname", ...CONTEXT]);

const render = (value: unknown) => (typeof value === "string" && !/[\s"=]/.test(value) && value !== "" ? value : JSON.stringify(value));

export function formatLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === "string" ? entry.time.slice(11, 23) : "";
  const level = String(entry.level ?? "").toUpperCase().padEnd(5);
  const context = CONTEXT.filter((k) => entry[k] !== undefined).map((k) => `${k}=${render(entry[k])}`);
  const rest = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${render(v)}`);
  return `${[time, level, ...context, typeof entry.msg === "string" ? entry.msg : "", ...rest].filter(Boolean).join(" ")}\n`;
}
