/**
 * Command lines of the control-plane components. Every listener is on
 * 127.0.0.1; the controller-manager and scheduler open no port at all.
 */
import { join } from "node:path";
import type { ControlPlane } from "./types.ts";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type Component = (typeof COMPONENTS)[number];

/**
 * Controllers the lab runs. Node lifecycle makes readiness real (a lab node
 * whose handler stops renewing its Lease becomes NotReady within the grace
 * period); garbage collection removes enactments owned by deleted Nodes;
 * disruption (PodDisruptionBudgets) and the workload controllers are what
 * issue 7's drain needs; the service-account controllers let pods exist.
 */
export const CONTROLLERS = [
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller",
  "node-lifecycle-controller",
  "disruption-controller",
  "deployment-controller",
  "replicaset-controller",
  // The handler is a DaemonSet on lab nodes that run kubelets.
  "daemonset-controller",
  "validatingadmissionpolicy-status-controller",
] as const;

export const SERVICE_CIDR = "10.96.0.0/16";

export function componentArgs(cp: ControlPlane, component: Component): string[] {
  const { ports, pki, kubeconfigs } = cp;
  switch (component) {
    case "etcd":
      return [
        `--name=${cp.name}`,
        `--data-dir=${join(cp.dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-cluster=${cp.name}=http://127.0.0.1:${ports.etcdPeer}`,
        "--initial-cluster-state=new",
        // The lab's data lives in /run (memory) and dies with the lab: durability buys nothing.
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ];
    case "kube-apiserver":
      return [
        `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${ports.apiServer}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        "--authorization-mode=Node,RBAC",
        // The handler DaemonSet is privileged; without this the server refuses it (also in dry-run).
        "--allow-privileged=true",
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        // Nothing runs the kubernetes Service's endpoints on loopback; nodes get a forwarder (ADR 0004).
        "--endpoint-reconciler-type=none",
        "--profiling=false",
      ];
    case "kube-controller-manager":
      return [
        `--kubeconfig=${kubeconfigs.controllerManager}`,
        `--controllers=${CONTROLLERS.join(",")}`,
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        "--leader-elect=false",
        "--secure-port=0",
        "--node-monitor-period=2s",
        `--node-monitor-grace-period=${cp.nodeMonitorGracePeriodSeconds}s`,
        "--node-startup-grace-period=30s",
      ];
    case "kube-scheduler":
      return [`--kubeconfig=${kubeconfigs.scheduler}`, "--leader-elect=false", "--secure-port=0"];
  }
}
