/**
 * The backend contract (src/txn/backend.contract.ts) against the
 * real kernel: each test gets a throwaway namespace and a state directory of
 * its own, both removed afterwards (also when the test fails).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeBackendContract } from "../../src/txn/backend.contract.ts";
import { KernelBackend } from "../../src/host/kernel/backend.ts";
import { applyState } from "../../src/txn/transaction.ts";
import { TestNetns } from "../helpers/netns.ts";

describeBackendContract("kernel", async (initial) => {
  const ns = await TestNetns.create("contract");
  const stateDir = mkdtempSync(join(tmpdir(), "nodenet-contract-"));
  const backend = new KernelBackend({ netns: ns.name, stateDir });
  const cleanup = async () => {
    await backend.dynamic.stopAll();
    await ns.delete();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    if (initial) await applyState(backend, initial, { timeoutSeconds: 3600 });
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { backend, cleanup };
});
