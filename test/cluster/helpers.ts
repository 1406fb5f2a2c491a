/** Shared by the cluster tests: the suite's lab, kubectl, unique names, and private control planes. */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { connect, type Kube } from "../../src/cluster/kube/config.ts";
import { renderKubeconfig } from "../../src/lab/controlplane/kubeconfig.ts";
import { labDown, labUp } from "../../src/lab/lab.ts";
import type { LabState } from "../../src/lab/state.ts";

/** The suite's lab (started by test/cluster/suite.ts); tests fail clearly when run outside it. */
export function suiteKubeconfig(): string {
  const path = process.env.KUBECONFIG;
  if (!path || !process.env.NODENET_CLUSTER_LAB) throw new Error("run the cluster tests with `node test/run.ts cluster` (it starts the lab and sets KUBECONFIG)");
  return path;
}

export function suiteKube(): Kube {
  return connect(suiteKubeconfig());
}

export const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20, env: options.env ?? process.env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(options.input ?? "");
  });
}

export function kubectl(args: readonly string[], options: { input?: string; kubeconfig?: string } = {}): Promise<Run> {
  return run("kubectl", ["--kubeconfig", options.kubeconfig ?? suiteKubeconfig(), ...args], { input: options.input });
}

export interface OwnLab {
  name: string;
  state: LabState;
  kube: Kube;
}

/**
 * A control plane of the test file's own (for killing the API server or
 * running competing controllers), started in `before` and removed in `after`.
 */
export function ownLab(prefix: string): () => OwnLab {
  const name = unique(prefix);
  let lab: OwnLab | undefined;
  before(async () => {
    const up = await labUp({ name, nodes: 0 });
    lab = { name, state: up.state, kube: connect(up.state.controlPlane!.kubeconfigs.admin) };
  });
  after(async () => {
    await labDown(name);
  });
  return () => {
    if (!lab) throw new Error(`lab ${name} did not start`);
    return lab;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(100);
  }
}

/**
 * A kubeconfig (written into `dir`) for a nodenet-handler service-account
 * token bound to `node` — the API server then adds the node-name claim —
 * or bound to nothing.
 */
export async function handlerTokenKubeconfig(admin: Kube, dir: string, file: string, node?: string): Promise<string> {
  const uid = node ? (await admin.core.readNode({ name: node })).metadata?.uid : undefined;
  const request = await admin.core.createNamespacedServiceAccountToken({
    name: "nodenet-handler",
    namespace: "nodenet",
    body: { spec: { audiences: [], expirationSeconds: 3600, ...(node ? { boundObjectRef: { apiVersion: "v1", kind: "Node", name: node, ...(uid ? { uid } : {}) } } : {}) } },
  });
  const cluster = admin.config.getCurrentCluster()!;
  const path = join(dir, file);
  writeFileSync(path, renderKubeconfig({ clusterName: "t", server: cluster.server, caCert: cluster.caFile!, user: "handler", credentials: { token: request.status!.token ?? "" } }));
  return path;
}
