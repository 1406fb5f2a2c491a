/**
 * A diff as people read it (`nodenet diff`, `apply`, the dashboard's preview):
 * one line per interface created, changed or removed, with its field changes,
 * then routes, rules, DNS and hostname. Pure.
 */
import type { StateDiff } from "./diff.ts";
import type { Route, RouteRule } from "./schema/routes.ts";

const show = (v: unknown) => (v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v));

export function routeText(r: Route): string {
  const parts = [r["route-type"] ?? "", r.destination ?? "", r["next-hop-address"] ? `via ${r["next-hop-address"]}` : "", r["next-hop-interface"] ? `dev ${r["next-hop-interface"]}` : ""];
  if (r["table-id"] !== undefined && r["table-id"] !== 254) parts.push(`table ${r["table-id"]}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  return parts.filter(Boolean).join(" ");
}

export function ruleText(r: RouteRule): string {
  return [
    r.priority !== undefined ? `priority ${r.priority}` : "",
    r["ip-from"] ? `from ${r["ip-from"]}` : "",
    r["ip-to"] ? `to ${r["ip-to"]}` : "",
    r.fwmark !== undefined ? `fwmark 0x${r.fwmark.toString(16)}` : "",
    r["route-table"] !== undefined ? `table ${r["route-table"]}` : "",
    r.action ?? "",
  ]
    .filter(Boolean)
    .join(" ");
}

export function renderDiff(diff: StateDiff): string {
  const lines: string[] = [];
  for (const i of diff.interfaces) {
    const why = i.implied.length ? ` (${i.implied.join("; ")})` : "";
    const sign = i.kind === "create" ? "+" : i.kind === "remove" ? "-" : "~";
    lines.push(`${sign} interface ${i.name}${i.type ? ` [${i.type}]` : ""}: ${i.kind === "create" ? "created" : i.kind === "remove" ? "removed" : "changed"}${why}`);
    for (const c of i.changes) {
      if (i.kind === "create") lines.push(`    ${c.path}: ${show(c.to)}`);
      else lines.push(`    ${c.path}: ${show(c.from)} → ${show(c.to)}`);
    }
  }
  for (const r of diff.routes.remove) lines.push(`- route ${routeText(r)}`);
  for (const r of diff.routes.add) lines.push(`+ route ${routeText(r)}`);
  for (const r of diff.rules.remove) lines.push(`- rule ${ruleText(r)}`);
  for (const r of diff.rules.add) lines.push(`+ rule ${ruleText(r)}`);
  if (diff.dns) lines.push(`~ dns-resolver: ${show(diff.dns.from)} → ${show(diff.dns.to)}`);
  if (diff.hostname) lines.push(`~ hostname: ${show(diff.hostname.from)} → ${diff.hostname.to}`);
  return lines.length ? lines.join("\n") : "no changes: the host already has this state";
}
