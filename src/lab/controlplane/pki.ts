/**
 * The lab's certificates, made with openssl: one CA, the API server's serving
 * certificate, client certificates per identity, and the service-account
 * signing key pair. Everything is written under one directory that `lab down`
 * removes.
 *
 * Equivalent to (for each client):
 *   openssl ecparam -name prime256v1 -genkey -noout -out NAME.key
 *   openssl req -new -key NAME.key -subj "/O=GROUP/CN=USER" -out NAME.csr
 *   openssl x509 -req -in NAME.csr -CA ca.crt -CAkey ca.key -extfile NAME.ext -out NAME.crt
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openssl, subjectAltNames } from "../../openssl.ts";

const VALIDITY_DAYS = 365;

/** The names the serving certificate always carries; the lab adds its simulated-network address. */
export const BASE_SANS = [
  "127.0.0.1",
  "localhost",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
  // The first address of --service-cluster-ip-range: in-cluster clients reach the API there.
  "10.96.0.1",
] as const;

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Service-account token signing key (private) and verification key (public). */
  saKey: string;
  saPub: string;
}

export interface ClientCert {
  cert: string;
  key: string;
}

async function signed(pki: Pki, base: string, subject: string, extensions: string[]): Promise<ClientCert> {
  const { dir } = pki;
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${base}.key`]);
  await openssl(dir, ["req", "-new", "-key", `${base}.key`, "-subj", subject, "-out", `${base}.csr`]);
  writeFileSync(join(dir, `${base}.ext`), `${["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", ...extensions].join("\n")}\n`);
  await openssl(dir, [
    "x509", "-req", "-in", `${base}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-sha256", "-days", String(VALIDITY_DAYS), "-extfile", `${base}.ext`, "-out", `${base}.crt`,
  ]);
  rmSync(join(dir, `${base}.csr`), { force: true });
  rmSync(join(dir, `${base}.ext`), { force: true });
  return { cert: join(dir, `${base}.crt`), key: join(dir, `${base}.key`) };
}

/**
 * Creates the CA, the serving certificate (BASE_SANS plus `extraSans`, IPs or
 * DNS names) and the service-account keys in `dir`.
 */
export async function createPki(dir: string, options: { commonName: string; extraSans?: readonly string[] }): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
  await openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", String(VALIDITY_DAYS), "-subj", `/CN=${options.commonName}`, "-out", "ca.crt"]);
  const pki: Pki = {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "apiserver.crt"),
    serverKey: join(dir, "apiserver.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
  await signed(pki, "apiserver", "/CN=kube-apiserver", [
    "extendedKeyUsage=serverAuth",
    `subjectAltName=${subjectAltNames([...BASE_SANS, ...(options.extraSans ?? [])])}`,
  ]);
  await openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"]);
  await openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  return pki;
}

/**
 * A client certificate for user `user` in `groups`, signed by the lab CA.
 * `system:masters` is cluster-admin; `system:kube-controller-manager` and
 * `system:kube-scheduler` are bound by the API server's default RBAC. Issue 6
 * mints per-node identities with the same function.
 */
export function issueClientCert(pki: Pki, file: string, user: string, groups: readonly string[] = []): Promise<ClientCert> {
  const subject = `${groups.map((g) => `/O=${g}`).join("")}/CN=${user}`;
  return signed(pki, file, subject, ["extendedKeyUsage=clientAuth"]);
}
