/**
 * Where a lab keeps its runtime files: /run/nodenet/lab/L/ (memory, gone at
 * reboot like the namespaces). The network's own files sit in its `network/`
 * subdirectory, so `destroyLabNetwork` removes them without touching what the
 * control plane keeps beside them.
 */
import { join } from "node:path";

const stateRoot = () => process.env.NODENET_STATE_DIR ?? "/run/nodenet";

/** /run/nodenet/lab — every lab's directory is in here. */
export function labsRoot(): string {
  return join(stateRoot(), "lab");
}

/** /run/nodenet/lab/L */
export function labDir(lab: string): string {
  return join(labsRoot(), lab);
}

export interface LabNetworkPaths {
  dir: string;
  /** The JSON record of everything the network consists of (see record.ts). */
  stateFile: string;
  /** The edge forwarder relays node connections to the host forwarder through this socket. */
  apiSocket: string;
  dnsmasqConf: string;
  dnsmasqLeases: string;
  /** Where dnsmasq writes its own pid file (else it takes the host's /run/dnsmasq.pid); the lab never reads it: the network record holds the PID it stops. */
  dnsmasqPid: string;
  log(role: string): string;
}

export function labNetworkPaths(lab: string): LabNetworkPaths {
  const dir = join(labDir(lab), "network");
  return {
    dir,
    stateFile: join(dir, "state.json"),
    apiSocket: join(dir, "api.sock"),
    dnsmasqConf: join(dir, "dnsmasq.conf"),
    dnsmasqLeases: join(dir, "dnsmasq.leases"),
    dnsmasqPid: join(dir, "dnsmasq.pid"),
    log: (role) => join(dir, `${role}.log`),
  };
}
