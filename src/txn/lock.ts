/**
 * One change at a time per target: a lock file holding the owner's PID,
 * created exclusively. A lock whose owner is dead (killed mid-apply) is taken
 * over, so a crash never blocks the target for ever.
 */
import { processAlive } from "../process-alive.ts";
import { readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NodenetError } from "../errors.ts";
import { ensureDir, stateDirError } from "./state-dir.ts";

export interface Lock {
  release(): void;
}

export interface LockOptions {
  /** Remove the directory when the lock is released and nothing else is left in it (per-namespace transaction directories). */
  removeEmptyDir?: boolean;
}

export function acquireLock(stateDir: string, description: string, file = "apply.lock", options: LockOptions = {}): Lock {
  const path = join(stateDir, file);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      ensureDir(stateDir);
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return {
        release: () => {
          rmSync(path, { force: true });
          if (options.removeEmptyDir) {
            try {
              rmdirSync(stateDir);
            } catch {
              // not empty (a pending checkpoint, another lock) or already gone
            }
          }
        },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another process removed the emptied directory between our mkdir and our write.
      if (code === "ENOENT") continue;
      if (code !== "EEXIST") throw stateDirError(stateDir, "take the lock", error);
      let owner = 0;
      try {
        owner = Number(readFileSync(path, "utf8").trim());
      } catch {
        continue; // released meanwhile
      }
      if (owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new NodenetError("busy", `another nodenet process (pid ${owner}) is changing ${description}; try again when it is done`);
      }
      // A dead owner's lock is stale; removing it can fail like taking it (e.g. a watchdog that rolled back after
      // the directory turned read-only could not remove its own lock), and must say so the same way.
      try {
        rmSync(path, { force: true });
      } catch (removeError) {
        throw stateDirError(stateDir, "take the lock", removeError);
      }
    }
  }
  throw new NodenetError("busy", `could not lock ${description}`);
}

/** The apply lock of a target, in its checkpoint directory (removed when it ends empty, if it is a per-namespace one). */
export function lockTarget(target: { checkpointDir: string; stateDir: string; description: string }): Lock {
  return acquireLock(target.checkpointDir, target.description, "apply.lock", { removeEmptyDir: target.checkpointDir !== target.stateDir });
}
