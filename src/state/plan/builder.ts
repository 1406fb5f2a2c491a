/**
 * Operations collected by phase and returned in phase order: whoever adds an
 * operation (the common link settings, a kind's own settings) names the phase
 * it belongs to, never its position.
 */
import type { Operation } from "./operations.ts";

export const PHASES = [
  "dynamic-stop",
  "routes-remove",
  "detach",
  "link-remove",
  "link-create",
  "link-options",
  "attach",
  "port-options",
  "ip-switches",
  "address-remove",
  "link-up",
  "address-add",
  "routes-add",
  "dynamic-start",
  "resolver",
] as const;
export type Phase = (typeof PHASES)[number];

export class PlanBuilder {
  private readonly phases = new Map<Phase, Operation[]>(PHASES.map((p) => [p, []]));
  add(phase: Phase, op: Operation): void {
    this.phases.get(phase)!.push(op);
  }
  build(): Operation[] {
    return PHASES.flatMap((p) => this.phases.get(p)!);
  }
}
