/**
 * One change at a time per target: a lock file holding the owner's PID,
 * created exclusively. A lock whose owner is dead (killed mid-apply) is taken
 * over, so a crash never blocks the target for ever.
 */
import { processAlive } from "../process-alive.ts";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NodenetError } from "../errors.ts";


export interface Lock {
  release(): void;
}

export function acquireLock(stateDir: string, description: string, file = "apply.lock"): Lock {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, file);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(path, "utf8").trim());
      if (owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new NodenetError("busy", `another nodenet process (pid ${owner}) is changing ${description}; try again when it is done`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new NodenetError("busy", `could not lock ${description}`);
}
