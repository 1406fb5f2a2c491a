/**
 * Conditions in upstream's shape (type, status, reason, message,
 * lastHeartbeatTime, lastTransitionTime). Pure functions over lists.
 *
 * Contract: one condition per type; `lastTransitionTime` changes only when
 * `status` changes; `lastHeartbeatTime` is the time of the latest set.
 */
import type { Condition, ConditionStatus } from "../api/meta.ts";

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export const kubeTime = (date: Date) => date.toISOString().replace(/\.\d+Z$/, "Z");

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === "True";
}

/** Sets (adds or replaces) the condition of `update.type`; other conditions keep their place. */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: Date = new Date()): Condition[] {
  const time = kubeTime(now);
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(update.reason !== undefined ? { reason: update.reason } : {}),
    ...(update.message !== undefined ? { message: update.message } : {}),
    lastHeartbeatTime: time,
    lastTransitionTime: previous && previous.status === update.status && previous.lastTransitionTime ? previous.lastTransitionTime : time,
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** Sets several at once (upstream writes every type of a kind on each change). */
export function setConditions(conditions: readonly Condition[] | undefined, updates: readonly ConditionUpdate[], now: Date = new Date()): Condition[] {
  return updates.reduce<Condition[]>((list, update) => setCondition(list, update, now), [...(conditions ?? [])]);
}

/**
 * True when the two lists say the same thing (heartbeat times aside): a
 * writer compares before writing, so an unchanged status costs no API call.
 */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const strip = (list: readonly Condition[] | undefined) =>
    [...(list ?? [])].map((c) => JSON.stringify([c.type, c.status, c.reason ?? "", c.message ?? "", c.lastTransitionTime ?? ""])).sort();
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
