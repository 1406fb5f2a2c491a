/**
 * Running openssl, which makes the certificates node:crypto cannot (it makes
 * keys, not X.509 certificates): the webhook's CA and serving certificate, and
 * the lab's PKI.
 */
import { execFile } from "node:child_process";
import { isIP } from "node:net";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Runs `openssl ARGS` in `cwd`; a failure carries openssl's own message. */
export async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await execFileAsync("openssl", args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (error as Error).message}`);
  }
}

/** The `subjectAltName` value for host names and IP addresses, without repeats. */
export function subjectAltNames(names: readonly string[]): string {
  return [...new Set(names)].map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
}
