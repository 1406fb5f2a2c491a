/**
 * `lab up`, `lab down`, `lab status`: a control plane on 127.0.0.1 (and,
 * from issue 6, simulated nodes), recorded in the lab's state file.
 *
 * Guarantees: `up` on a running, healthy lab reuses it; `up` over the remains
 * of a crashed lab cleans them first; `down` stops every process the lab
 * started (by PID, after checking the PID still runs that binary) and removes
 * every file it made; it is idempotent and needs nothing but the state
 * directory.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { NodenetError } from "../errors.ts";
import { installCrds, parseManifests } from "../cluster/kube/apply.ts";
import { createKube, loadKubeConfig } from "../cluster/kube/config.ts";
import { ensureBinaries } from "./controlplane/binaries.ts";
import { startControlPlane, stopControlPlane, type ControlPlane } from "./controlplane/controlplane.ts";
import { isRunning } from "./supervisor.ts";
import { apiServerReady } from "./controlplane/ready.ts";
import { CONTROL_PLANE_ADDRESS, checkNodesSupported, describeNodes, startNodes, stopNodes, type NodeMode } from "./nodes.ts";
import { labDir, labRoot, lockLab, readLabState, removeLabFiles, writeLabState, type LabState } from "./state.ts";

export const CRD_DIR = new URL("../../deploy/crds/", import.meta.url).pathname;
export const FIELD_MANAGER = "nodenet-lab";

export interface LabUpOptions {
  name: string;
  nodes: number;
  /** How nodes run the handler: node agents and handler processes (default), or real kubelets running the DaemonSet. */
  mode?: NodeMode;
  progress?: (message: string) => void;
  root?: string;
}

export interface LabUpResult {
  state: LabState;
  reused: boolean;
  seconds: number;
}

const BUILD_NOTICE =
  "building the control plane from Go modules (first run only: kube-apiserver, controller-manager, scheduler and etcd take about 7–12 minutes on 2 cores; later runs reuse the cache)";

export function readCrdManifests(dir = CRD_DIR): KubernetesObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => parseManifests(readFileSync(join(dir, f), "utf8")));
}

/** Every recorded component runs and the API server answers /readyz. */
export async function controlPlaneHealthy(cp: ControlPlane | undefined): Promise<boolean> {
  if (!cp || !cp.processes.length || !cp.processes.every(isRunning)) return false;
  return apiServerReady(cp.ports.apiServer, { caCert: cp.pki.caCert, cert: cp.admin.cert, key: cp.admin.key });
}

async function install(cp: ControlPlane, progress: (m: string) => void): Promise<void> {
  progress("installing the nmstate.io CRDs");
  const kube = createKube(loadKubeConfig({ kind: "file", path: cp.kubeconfigs.admin }));
  await installCrds(kube, readCrdManifests(), { fieldManager: FIELD_MANAGER });
}

export async function labUp(options: LabUpOptions): Promise<LabUpResult> {
  const started = Date.now();
  const progress = options.progress ?? (() => undefined);
  const root = options.root ?? labRoot();
  const { name } = options;
  checkNodesSupported(options.nodes);
  const lock = lockLab(name, root);
  try {
    const existing = readLabState(name, root);
    if (existing && (await controlPlaneHealthy(existing.controlPlane))) {
      progress(`lab "${name}" is already running; reusing it`);
      await install(existing.controlPlane!, progress);
      return { state: existing, reused: true, seconds: (Date.now() - started) / 1000 };
    }
    if (existing || existsSync(labDir(name, root))) {
      progress(`lab "${name}" was left half-running (a crash?); cleaning it up first`);
      await teardown(name, root, progress);
    }

    let building = false;
    const binaries = await ensureBinaries((line) => {
      if (!building) progress(BUILD_NOTICE);
      building = true;
      progress(line);
    });

    const dir = labDir(name, root);
    const state: LabState = { version: 1, name, dir, createdAt: new Date().toISOString(), nodes: { count: 0 } };
    writeLabState(state);
    try {
      state.controlPlane = await startControlPlane({
        name,
        dir,
        binaries,
        extraSans: [CONTROL_PLANE_ADDRESS],
        progress: (m) => progress(`starting ${m}`),
        onChange: (cp) => {
          state.controlPlane = cp;
          writeLabState(state);
        },
      });
      writeLabState(state);
      await install(state.controlPlane, progress);
      state.nodes = await startNodes(
        { name, dir, controlPlane: state.controlPlane, progress, save: (nodes) => writeLabState({ ...state, nodes }) },
        options.nodes,
        options.mode ?? "agent",
      );
      writeLabState(state);
    } catch (error) {
      progress("lab up failed; stopping what it started");
      await teardown(name, root, progress);
      throw error instanceof NodenetError ? error : new NodenetError("backend-failed", `lab up failed: ${(error as Error).message}`, { cause: error });
    }
    return { state, reused: false, seconds: (Date.now() - started) / 1000 };
  } finally {
    lock.release();
  }
}

async function teardown(name: string, root: string, progress: (m: string) => void): Promise<boolean> {
  const dir = labDir(name, root);
  let state: LabState | undefined;
  try {
    state = readLabState(name, root);
  } catch {
    state = undefined; // unreadable: the directory scan below still finds the processes
  }
  if (!state && !existsSync(dir)) return false;
  try {
    if (state) await stopNodes({ name, dir, controlPlane: state.controlPlane, progress, save: () => undefined }, state.nodes);
  } finally {
    // Nodes that failed to stop (reported by the throw) must not keep the control plane running.
    await stopControlPlane({ dir, processes: state?.controlPlane?.processes ?? [] });
  }
  removeLabFiles(name, root);
  return true;
}

/** Stops and removes lab `name`. Resolves false when there was nothing to remove. */
export async function labDown(name: string, options: { progress?: (m: string) => void; root?: string } = {}): Promise<boolean> {
  const root = options.root ?? labRoot();
  const lock = lockLab(name, root);
  let failure: unknown;
  try {
    return await teardown(name, root, options.progress ?? (() => undefined));
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    lock.release();
    try {
      removeLabFiles(name, root);
    } catch (error) {
      // A failed teardown's own error says why the files are still busy: keep it, not this one.
      if (!failure) throw error;
    }
  }
}

export interface LabStatus {
  name: string;
  dir: string;
  healthy: boolean;
  server?: string;
  kubeconfig?: string;
  processes: { name: string; pid: number; running: boolean; log: string }[];
  nodes: { summary: string; nodes: unknown[] };
}

export async function labStatus(name: string, root = labRoot()): Promise<LabStatus | undefined> {
  const state = readLabState(name, root);
  if (!state) return existsSync(labDir(name, root)) ? { name, dir: labDir(name, root), healthy: false, processes: [], nodes: { summary: "no nodes", nodes: [] } } : undefined;
  const cp = state.controlPlane;
  return {
    name,
    dir: state.dir,
    healthy: await controlPlaneHealthy(cp),
    server: cp?.server,
    kubeconfig: cp?.kubeconfigs.admin,
    processes: (cp?.processes ?? []).map((p) => ({ name: p.name, pid: p.pid, running: isRunning(p), log: p.log })),
    nodes: await describeNodes(name, state.nodes),
  };
}
