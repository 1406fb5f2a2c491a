/**
 * Semantic validation of a desired state against the host it is for. Reports
 * every problem at once, each with the path of the field at fault. Pure:
 * callers read the current state and pass it in.
 */
import { hasErrors, type Issue, type IssuePath } from "../issues.ts";
import { mergeStates, type MergedState } from "../merge/index.ts";
import type { Interface } from "../schema/interface.ts";
import type { NetworkState } from "../schema/state.ts";
import { checkDnsServers, checkInterfaceAddresses } from "./addresses.ts";
import type { Rule, RuleContext, ValidateOptions } from "./context.ts";
import { checkDeclarations, checkPorts } from "./interfaces.ts";
import { checkManagementInterface } from "./management.ts";
import { checkRoutes } from "./routes.ts";

export type { ValidateOptions } from "./context.ts";
export { addressProblem, embeddedIpv4Problem } from "./addresses.ts";

const RULES: Rule[] = [checkDeclarations, checkInterfaceAddresses, checkPorts, checkRoutes, checkDnsServers, checkManagementInterface];

export interface ValidationResult {
  issues: Issue[];
  ok: boolean;
  merged: MergedState;
}

export function validate(desired: NetworkState, current: NetworkState, options: ValidateOptions = {}): ValidationResult {
  const merged = mergeStates(desired, current);
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const currentByName = new Map((current.interfaces ?? []).map((i) => [i.name, i]));
  const desiredIndex = new Map<string, number>();
  (desired.interfaces ?? []).forEach((iface, i) => {
    if (!desiredIndex.has(iface.name)) desiredIndex.set(iface.name, i);
  });
  const ctx: RuleContext = {
    desired,
    current,
    merged,
    options,
    currentByName,
    report(issue) {
      const key = `${issue.path.join("\0")}\0${issue.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      issues.push(issue);
    },
    pathOf(name): IssuePath {
      const index = desiredIndex.get(name);
      return index === undefined ? ["interfaces", `(${name})`] : ["interfaces", index];
    },
    target(name): Interface | undefined {
      const m = merged.interfaces.get(name);
      if (m) return m.merged.state === "absent" ? undefined : m.merged;
      return currentByName.get(name);
    },
  };
  for (const rule of RULES) rule(ctx);
  return { issues, ok: !hasErrors(issues), merged };
}
