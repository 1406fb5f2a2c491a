/**
 * The fault-injection seam: a view of a backend whose first `execute` fails
 * at operation `failAt`, after running the operations before it for real —
 * exactly what a kernel refusal halfway through a plan looks like to the
 * transaction. Later calls (the rollback) pass through untouched, and every
 * other member is the backend's own (a Proxy, so members added to HostBackend
 * later are forwarded too). It lives in the tests and is handed to
 * `applyState` like any backend, so production code has no switch for it.
 */
import { ExecuteError, type HostBackend } from "../../src/host/backend.ts";
import type { Operation } from "../../src/state/plan/operations.ts";
import { describe } from "../../src/host/kernel/commands.ts";

export interface FailingOnce {
  backend: HostBackend;
  /** True once the failure was injected (false: the plan was shorter than `failAt`). */
  fired(): boolean;
}

export function failingOnce(inner: HostBackend, failAt: number): FailingOnce {
  let armed = true;
  let fired = false;
  const execute = async (ops: readonly Operation[]): Promise<void> => {
    if (!armed || failAt >= ops.length) return inner.execute(ops);
    armed = false;
    await inner.execute(ops.slice(0, failAt));
    fired = true;
    const op = ops[failAt]!;
    throw new ExecuteError(failAt, op, `${describe(op)}: injected failure`);
  };
  const backend = new Proxy(inner, {
    get(target, property) {
      if (property === "execute") return execute;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { backend, fired: () => fired };
}
