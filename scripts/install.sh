#!/usr/bin/env bash
# Installs everything nodenet and its tests need on a fresh Debian machine,
# and does nothing (quickly) when it is all there:
#   - Debian packages: iproute2, DHCP client and server, ping, User-Mode Linux, openssl
#   - Node.js 24 and the npm dependencies (npm ci; Node 24 comes from the npm registry)
#   - the local Kubernetes control plane, a kubelet, kubectl and Helm, built from Go modules (first time: minutes)
# Usage: scripts/install.sh [--no-control-plane]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

step() { printf '[install] %s\n' "$*" >&2; }

# iproute2: ip/bridge; udhcpc: DHCPv4 client; isc-dhcp-client: DHCPv6 client (dhclient -6); dnsmasq-base: DHCP/DNS server for tests and the lab;
# iputils-ping: gateway probes; openssl: lab certificates; procps/util-linux: ps, mount;
# user-mode-linux + kmod + bash-builtins: the full-kernel test harness (test/uml);
# mmdebstrap + umoci: the container image without Docker (scripts/image/build.sh); containerd + runc run it in its test
# and on `lab up --kubelet` nodes, with containernetworking-plugins (the pods' loopback network).
# chromium: the dashboard's tests drive it headless over the DevTools protocol (test/dashboard).
step "Debian packages"
scripts/apt-install.sh iproute2 udhcpc isc-dhcp-client dnsmasq-base iputils-ping openssl procps util-linux kmod user-mode-linux bash-builtins systemd mmdebstrap umoci containerd runc chromium containernetworking-plugins

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.nodenet-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/node/bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "npm ci (Node.js 24 from the npm registry, dependencies)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
node_modules/node/bin/node -e 'if (+process.versions.node.split(".")[0] < 24) { console.error("Node 24 expected, got " + process.version); process.exit(1) }'

if [ "${1:-}" != "--no-control-plane" ]; then
  step "Kubernetes control plane (kube-apiserver, controller-manager, scheduler, etcd), kubelet, kubectl and Helm"
  scripts/control-plane/build.sh --kubelet --kubectl --helm >/dev/null
fi
step "ready"
