/** The record of a running control plane: plain JSON, kept in the lab's state file. */
import type { ProcessRecord } from "../supervisor.ts";
import type { ClientCert, Pki } from "./pki.ts";

export interface ControlPlanePorts {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
}

export interface ControlPlane {
  name: string;
  /** Everything the control plane writes lives here. */
  dir: string;
  binDir: string;
  ports: ControlPlanePorts;
  /** https://127.0.0.1:PORT */
  server: string;
  pki: Pki;
  admin: ClientCert;
  kubeconfigs: { admin: string; controllerManager: string; scheduler: string };
  /** Extra names in the serving certificate (the lab's simulated-network address). */
  extraSans: string[];
  nodeMonitorGracePeriodSeconds: number;
  /** In start order; a restarted component replaces its entry. */
  processes: ProcessRecord[];
}
