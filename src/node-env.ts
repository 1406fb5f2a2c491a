/**
 * The environment for the Node.js processes nodenet starts (the rollback
 * watchdog, probe runners): the same as ours, with Node's compile cache on,
 * since stripping TypeScript types costs ~250 ms per start without it.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export function nodeChildEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "nodenet", "compile-cache") };
}
