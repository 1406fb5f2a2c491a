/**
 * The webhook's own CA and serving certificate, made with openssl (node:crypto
 * can make keys but not certificates), in a private temporary directory that
 * is removed afterwards. Keys are ECDSA P-256.
 *
 * Equivalent to:
 *   openssl ecparam -name prime256v1 -genkey -noout -out ca.key
 *   openssl req -x509 -new -key ca.key -subj /CN=nodenet-webhook-ca -days 3650 \
 *     -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt
 *   openssl ecparam -name prime256v1 -genkey -noout -out tls.key
 *   openssl req -new -key tls.key -subj /CN=HOST -out tls.csr
 *   openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -set_serial 0xRANDOM -days 365 -extfile tls.ext -out tls.crt
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl, subjectAltNames } from "../../openssl.ts";

export const CA_DAYS = 3650;
export const SERVING_DAYS = 365;

/** PEM texts. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface WebhookTls {
  ca: KeyPair;
  serving: KeyPair;
}

async function inTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "nodenet-webhook-"));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createCa(commonName = "nodenet-webhook-ca"): Promise<KeyPair> {
  return inTempDir(async (dir) => {
    await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
    await openssl(dir, [
      "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", String(CA_DAYS), "-subj", `/CN=${commonName}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt",
    ]);
    return { cert: readFileSync(join(dir, "ca.crt"), "utf8"), key: readFileSync(join(dir, "ca.key"), "utf8") };
  });
}

/** A serving certificate for `hosts` (DNS names or IP addresses; the first is the subject), signed by `ca`. */
export function createServingCert(ca: KeyPair, hosts: readonly string[]): Promise<KeyPair> {
  if (!hosts.length) throw new Error("a serving certificate needs at least one host name or address");
  return inTempDir(async (dir) => {
    writeFileSync(join(dir, "ca.crt"), ca.cert);
    writeFileSync(join(dir, "ca.key"), ca.key, { mode: 0o600 });
    const sans = subjectAltNames(hosts);
    writeFileSync(
      join(dir, "tls.ext"),
      ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth", `subjectAltName=${sans}`].join("\n") + "\n",
    );
    await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tls.key"]);
    await openssl(dir, ["req", "-new", "-key", "tls.key", "-subj", `/CN=${hosts[0]}`, "-out", "tls.csr"]);
    await openssl(dir, [
      "x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", `0x${randomBytes(16).toString("hex")}`,
      "-sha256", "-days", String(SERVING_DAYS), "-extfile", "tls.ext", "-out", "tls.crt",
    ]);
    return { cert: readFileSync(join(dir, "tls.crt"), "utf8"), key: readFileSync(join(dir, "tls.key"), "utf8") };
  });
}

/** Why a certificate must be replaced, or undefined when it is good for `hosts` for at least `marginDays` more. */
export function replacementReason(cert: string, hosts: readonly string[], marginDays: number, now = new Date()): string | undefined {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    return `it does not parse (${error instanceof Error ? error.message : String(error)})`;
  }
  const expires = new Date(x509.validTo);
  if (expires.getTime() - now.getTime() < marginDays * 86_400_000) return `it expires ${expires.toISOString()}`;
  const missing = hosts.filter((h) => (isIP(h) ? x509.checkIP(h) === undefined : x509.checkHost(h, { wildcards: false }) === undefined));
  if (missing.length) return `it does not name ${missing.join(", ")}`;
  return undefined;
}

/** Whether `cert` was signed by `ca` (a serving certificate matches its CA). */
export function signedBy(cert: string, ca: string): boolean {
  try {
    return new X509Certificate(cert).verify(new X509Certificate(ca).publicKey);
  } catch {
    return false;
  }
}

