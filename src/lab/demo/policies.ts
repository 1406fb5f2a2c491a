/** The demo's policies, as a user would write them. */

export const STORAGE_POLICY = "demo-storage-bridge";
export const MGMT_POLICY = "demo-mgmt-bridge";

/** A bridge on eth1; each node's address comes from the lab's DHCP reservation for its NIC (copied MAC). */
export const storageBridge = `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata:
  name: ${STORAGE_POLICY}
spec:
  maxUnavailable: 1
  revertOnDelete: true
  capture:
    nic: interfaces.name=="eth1"
  desiredState:
    interfaces:
    - name: br1
      type: linux-bridge
      state: up
      mac-address: "{{ capture.nic.interfaces.0.mac-address }}"
      ipv4: {enabled: true, dhcp: true, auto-gateway: false, auto-dns: false}
      bridge:
        options: {stp: {enabled: false}}
        port: [{name: eth1}]
`;

const mgmtBridge = (ip: string) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata:
  name: ${MGMT_POLICY}
spec:
  maxUnavailable: 1
  revertOnDelete: true
  desiredState:
    interfaces:
    - name: br0
      type: linux-bridge
      state: up
${ip}      bridge:
        options: {stp: {enabled: false}}
        port: [{name: eth0}]
`;

/** The classic mistake: the management NIC under a bridge that has no IP configuration. */
export const brokenMgmtBridge = mgmtBridge("");

/** The same, fixed: the bridge takes over DHCP. */
export const fixedMgmtBridge = mgmtBridge("      ipv4: {enabled: true, dhcp: true}\n");
