/**
 * Starts and stops a Kubernetes control plane (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler) on 127.0.0.1.
 *
 * Guarantees:
 * - every process is recorded (`onChange`) right after it is spawned, before
 *   anything waits on it, so a crash of the caller leaves a record `stop` can use;
 * - `stopControlPlane` also finds processes started from this directory that
 *   never made it into the record;
 * - `startControlPlane` fails with the component's last log lines, after
 *   stopping whatever it had started.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Binaries } from "./binaries.ts";
import { COMPONENTS, componentArgs, type Component } from "./components.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { createPki, issueClientCert } from "./pki.ts";
import { freePorts } from "./ports.ts";
import { findStrays, isRunning, killProcess, spawnDetached, stopProcess, tailLog, type ProcessRecord } from "../supervisor.ts";
import { apiGet, apiServerReady, etcdHealthy } from "./ready.ts";
import type { ControlPlane } from "./types.ts";

export type { ControlPlane } from "./types.ts";

export interface StartOptions {
  name: string;
  dir: string;
  binaries: Binaries;
  extraSans?: readonly string[];
  /** How long a node may miss heartbeats before it is NotReady (default 10 s). */
  nodeMonitorGracePeriodSeconds?: number;
  /** Components after the API server; default controller-manager and scheduler. */
  components?: readonly ("kube-controller-manager" | "kube-scheduler")[];
  /** Called whenever the record changes (persist it). */
  onChange?: (cp: ControlPlane) => void;
  progress?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class StartError extends Error {
  readonly portClash: boolean;
  constructor(message: string, portClash: boolean) {
    super(message);
    this.portClash = portClash;
  }
}

async function waitFor(cp: ControlPlane, record: ProcessRecord, what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (!isRunning(record)) {
      const log = tailLog(record.log);
      throw new StartError(`${record.name} exited before ${what}; last lines of ${record.log}:\n${log}`, /address already in use/.test(log));
    }
    await sleep(200);
  }
  throw new StartError(`${record.name} did not become ready (${what}) within ${timeoutMs / 1000}s; last lines of ${record.log}:\n${tailLog(record.log)}`, false);
}

const adminTls = (cp: ControlPlane) => ({ caCert: cp.pki.caCert, cert: cp.admin.cert, key: cp.admin.key });

/** Starts one component of `cp` and waits until it works. Replaces its earlier record. */
export async function startComponent(cp: ControlPlane, component: Component, options: Pick<StartOptions, "onChange"> = {}): Promise<ProcessRecord> {
  const binary = join(cp.binDir, component);
  const record = spawnDetached(component, binary, componentArgs(cp, component), join(cp.dir, "logs", `${component}.log`));
  cp.processes = [...cp.processes.filter((p) => p.name !== component), record];
  options.onChange?.(cp);
  switch (component) {
    case "etcd":
      await waitFor(cp, record, "etcd /health", 30_000, () => etcdHealthy(cp.ports.etcdClient));
      break;
    case "kube-apiserver":
      await waitFor(cp, record, "/readyz", 120_000, () => apiServerReady(cp.ports.apiServer, adminTls(cp)));
      break;
    case "kube-controller-manager":
      // The service-account controller creating `default` proves the controller-manager works.
      await waitFor(cp, record, "the default ServiceAccount", 60_000, async () => {
        const res = await apiGet(cp.ports.apiServer, "/api/v1/namespaces/default/serviceaccounts/default", adminTls(cp)).catch(() => undefined);
        return res?.status === 200;
      });
      break;
    default:
      // No port and no cheap readiness signal: it is ready if it is still running a moment later.
      await sleep(1_000);
      if (!isRunning(record)) throw new StartError(`${component} exited at startup; last lines of ${record.log}:\n${tailLog(record.log)}`, false);
  }
  return record;
}

async function prepare(options: StartOptions): Promise<ControlPlane> {
  const { dir, name } = options;
  mkdirSync(join(dir, "logs"), { recursive: true });
  const say = options.progress ?? (() => undefined);
  say("certificates (openssl)");
  const pki = await createPki(join(dir, "pki"), { commonName: `nodenet-lab-${name}-ca`, extraSans: options.extraSans });
  const admin = await issueClientCert(pki, "admin", "nodenet-admin", ["system:masters"]);
  const cm = await issueClientCert(pki, "kube-controller-manager", "system:kube-controller-manager");
  const scheduler = await issueClientCert(pki, "kube-scheduler", "system:kube-scheduler");
  const [etcdClient = 0, etcdPeer = 0, apiServer = 0] = await freePorts(3);
  const server = `https://127.0.0.1:${apiServer}`;
  const kubeconfig = (file: string, user: string, credentials: typeof admin) =>
    writeKubeconfig(join(dir, file), { clusterName: `nodenet-${name}`, server, caCert: pki.caCert, user, credentials });
  return {
    name,
    dir,
    binDir: options.binaries.dir,
    ports: { etcdClient, etcdPeer, apiServer },
    server,
    pki,
    admin,
    kubeconfigs: {
      admin: kubeconfig("admin.kubeconfig", "nodenet-admin", admin),
      controllerManager: kubeconfig("kube-controller-manager.kubeconfig", "system:kube-controller-manager", cm),
      scheduler: kubeconfig("kube-scheduler.kubeconfig", "system:kube-scheduler", scheduler),
    },
    extraSans: [...(options.extraSans ?? [])],
    nodeMonitorGracePeriodSeconds: options.nodeMonitorGracePeriodSeconds ?? 10,
    processes: [],
  };
}

/** Picks new ports and rewrites the kubeconfigs after a port clash. */
async function repick(cp: ControlPlane): Promise<void> {
  const [etcdClient = 0, etcdPeer = 0, apiServer = 0] = await freePorts(3);
  cp.ports = { etcdClient, etcdPeer, apiServer };
  cp.server = `https://127.0.0.1:${apiServer}`;
  for (const [key, user, credentials] of [
    ["admin", "nodenet-admin", cp.admin],
    ["controllerManager", "system:kube-controller-manager", { cert: join(cp.pki.dir, "kube-controller-manager.crt"), key: join(cp.pki.dir, "kube-controller-manager.key") }],
    ["scheduler", "system:kube-scheduler", { cert: join(cp.pki.dir, "kube-scheduler.crt"), key: join(cp.pki.dir, "kube-scheduler.key") }],
  ] as const) {
    writeKubeconfig(cp.kubeconfigs[key], { clusterName: `nodenet-${cp.name}`, server: cp.server, caCert: cp.pki.caCert, user, credentials });
  }
}

export async function startControlPlane(options: StartOptions): Promise<ControlPlane> {
  const say = options.progress ?? (() => undefined);
  const cp = await prepare(options);
  options.onChange?.(cp);
  const later = options.components ?? ["kube-controller-manager", "kube-scheduler"];
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        say(`etcd on 127.0.0.1:${cp.ports.etcdClient}`);
        await startComponent(cp, "etcd", options);
        say(`kube-apiserver on ${cp.server}`);
        await startComponent(cp, "kube-apiserver", options);
        break;
      } catch (error) {
        if (!(error instanceof StartError && error.portClash) || attempt >= 3) throw error;
        say("a port was taken meanwhile; retrying with new ports");
        await stopProcesses(cp);
        await repick(cp);
        options.onChange?.(cp);
      }
    }
    for (const component of later) {
      say(component);
      await startComponent(cp, component, options);
    }
    return cp;
  } catch (error) {
    await stopControlPlane(cp);
    options.onChange?.(cp);
    throw error;
  }
}

async function stopProcesses(cp: ControlPlane): Promise<void> {
  for (const record of [...cp.processes].reverse()) await stopProcess(record);
  cp.processes = [];
}

/**
 * Stops every process of `cp` (recorded ones in reverse start order, then any
 * stray started from its directory). Idempotent. Leaves the files.
 */
export async function stopControlPlane(cp: Pick<ControlPlane, "dir" | "processes">): Promise<void> {
  for (const record of [...cp.processes].reverse()) await stopProcess(record);
  // Dependents first: an API server whose etcd is gone takes its full grace period to stop.
  const rank = (name: string) => COMPONENTS.indexOf(name as Component);
  for (const stray of findStrays(cp.dir, COMPONENTS).sort((a, b) => rank(b.name) - rank(a.name))) await stopProcess(stray);
  cp.processes = [];
}

/** SIGKILLs one component (a crash, for tests); its record stays so `startComponent` can bring it back. */
export async function killComponent(cp: ControlPlane, component: Component): Promise<void> {
  const record = cp.processes.find((p) => p.name === component);
  if (record) await killProcess(record);
}

export function runningComponents(cp: ControlPlane): Component[] {
  return cp.processes.filter(isRunning).map((p) => p.name as Component);
}
