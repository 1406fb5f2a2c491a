#!/usr/bin/env bash
# Smoke test for the control plane built by build.sh.
#
# In a temp dir: makes a CA, serving cert, admin client cert (O=system:masters)
# and service-account key pair with openssl; starts etcd and kube-apiserver on
# 127.0.0.1 (free ports), then kube-controller-manager, kube-scheduler and kwok;
# checks discovery, CRDs + server-side apply + status subresource, aggregated
# discovery, admission/VAP/lease/event/eviction APIs, garbage collection,
# namespace deletion, service accounts, scheduling and a kwok fake node + pod.
# Stops exactly the processes it started (by PID) and removes the temp dir,
# on success and on failure. Listens only on 127.0.0.1.
#
# Usage: scripts/control-plane/smoke.sh          (builds first if needed)
# Env:   NODENET_SMOKE_KEEP=1  keep the temp dir (logs) after the run
#        KUBECTL=/path/kubectl (default: kubectl on PATH)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[smoke] %s\n' "$*" >&2; }
t_start=$SECONDS

bin=$("$here/build.sh" | tail -n 1)
[[ -x "$bin/kube-apiserver" ]] || { log "build.sh did not give a bin dir (got '$bin')"; exit 1; }
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
[[ -n "$KUBECTL" ]] || { log "kubectl not found"; exit 1; }
command -v openssl >/dev/null || { log "openssl not found"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nodenet-smoke.XXXXXX")
pids=()    # PIDs we started, in start order
names=()
failed=1

# running PID: true if PID exists and is not a zombie (an exited, unreaped child).
running() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n "$st" && $st != Z* ]]
}

stop_all() {
  local i pid name
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    pid=${pids[$i]} name=${names[$i]}
    if running "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
      if running "$pid"; then
        log "$name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    wait "$pid" 2>/dev/null || true
    log "stopped $name (pid $pid)"
  done
  pids=() names=()
}

on_exit() {
  local rc=$?
  set +e
  if [[ $failed == 1 ]]; then
    log "FAILED (exit $rc); last log lines:"
    local f
    for f in "$tmp"/*.log; do
      [[ -f "$f" ]] || continue
      printf '\n===== %s =====\n' "$(basename "$f")" >&2
      tail -n 25 "$f" >&2
    done
  fi
  stop_all
  if [[ "${NODENET_SMOKE_KEEP:-}" == 1 ]]; then
    log "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD...: run in background, log to $tmp/NAME.log, remember the PID.
start() {
  local name=$1; shift
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!"); names+=("$name")
  log "started $name (pid $!)"
}

# alive NAME: fail if the process started as NAME has exited.
alive() {
  local i
  for i in "${!names[@]}"; do
    if [[ ${names[$i]} == "$1" ]]; then
      running "${pids[$i]}" && return 0
      log "$1 (pid ${pids[$i]}) exited early"; return 1
    fi
  done
  return 1
}

# all_alive: fail if any process we started has exited.
all_alive() {
  local n
  for n in "${names[@]}"; do alive "$n" || return 1; done
}

used_ports=" "
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    [[ $used_ports == *" $p "* ]] && continue
    if [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]]; then
      used_ports+="$p "
      echo "$p"; return 0
    fi
  done
  log "no free port found"; return 1
}

# wait_for DESC TIMEOUT_S CMD...: retry CMD every 0.25s until it succeeds.
wait_for() {
  local desc=$1 timeout=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    all_alive || { log "gave up waiting for $desc"; return 1; }
    if (( SECONDS - t0 >= timeout )); then log "timed out after ${timeout}s waiting for $desc"; return 1; fi
    sleep 0.25
  done
  log "ok: $desc ($((SECONDS - t0))s)"
}

# ------------------------------------------------------------------ PKI
pki="$tmp/pki"; mkdir -p "$pki"
(
  cd "$pki"
  openssl_q() { openssl "$@" 2>/dev/null; }
  openssl_q ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl_q req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=nodenet-smoke-ca" -out ca.crt
  # serving cert for the API server
  openssl_q ecparam -name prime256v1 -genkey -noout -out apiserver.key
  openssl_q req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth' \
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc' > apiserver.ext
  openssl_q x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 2 \
    -extfile apiserver.ext -out apiserver.crt
  # admin client cert: O=system:masters is bound to cluster-admin by default
  openssl_q ecparam -name prime256v1 -genkey -noout -out admin.key
  openssl_q req -new -key admin.key -subj "/O=system:masters/CN=nodenet-admin" -out admin.csr
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=clientAuth' > client.ext
  openssl_q x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 2 \
    -extfile client.ext -out admin.crt
  # service-account token signing key pair
  openssl_q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
  openssl_q pkey -in sa.key -pubout -out sa.pub
)
log "generated PKI in $pki"

# ------------------------------------------------------------------ etcd
etcd_client=$(free_port); etcd_peer=$(free_port)
start etcd "$bin/etcd" \
  --name=smoke \
  --data-dir="$tmp/etcd-data" \
  --listen-client-urls="http://127.0.0.1:$etcd_client" \
  --advertise-client-urls="http://127.0.0.1:$etcd_client" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer" \
  --initial-cluster="smoke=http://127.0.0.1:$etcd_peer" \
  --initial-cluster-state=new \
  --unsafe-no-fsync=true \
  --log-level=warn
etcd_ready() { alive etcd && [[ "$(curl -fsS "http://127.0.0.1:$etcd_client/health")" == *'"health":"true"'* ]]; }
wait_for "etcd healthy on 127.0.0.1:$etcd_client" 30 etcd_ready

# ------------------------------------------------------------------ kube-apiserver
api_port=$(free_port)
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$etcd_client" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$api_port" \
  --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --authorization-mode=Node,RBAC \
  --service-cluster-ip-range=10.96.0.0/16 \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --endpoint-reconciler-type=none \
  --profiling=false

cat > "$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: smoke
  context: {cluster: smoke, user: admin}
current-context: smoke
EOF
export KUBECONFIG="$tmp/kubeconfig"
k() { "$KUBECTL" --kubeconfig "$tmp/kubeconfig" "$@"; }
api() { curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$@"; }

api_ready() { alive kube-apiserver && [[ "$(api "https://127.0.0.1:$api_port/readyz")" == ok ]]; }
wait_for "kube-apiserver /readyz on 127.0.0.1:$api_port" 90 api_ready

log "kubectl get ns:"
k get ns >&2
resources=$(k api-resources)
log "kubectl api-resources | head:"
sed -n 1,12p <<<"$resources" >&2
resource_names=$(awk '{print $1}' <<<"$resources")
for r in customresourcedefinitions validatingadmissionpolicies validatingadmissionpolicybindings \
         validatingwebhookconfigurations mutatingwebhookconfigurations leases events nodes; do
  [[ $'\n'"$resource_names"$'\n' == *$'\n'"$r"$'\n'* ]] || { log "api-resources lacks $r"; exit 1; }
done
log "ok: api-resources include CRDs, VAP, webhooks, leases, events, nodes"
# Capture first: `curl | grep -q` fails under pipefail when grep exits early.
# The API server pretty-prints JSON for curl, hence the optional space.
core_discovery=$(api "https://127.0.0.1:$api_port/api/v1")
grep -Eq '"name": ?"pods/eviction"' <<<"$core_discovery" \
  || { log "no pods/eviction subresource"; exit 1; }
log "ok: pods/eviction subresource served"
aggregated=$(api -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' \
  "https://127.0.0.1:$api_port/apis")
grep -Eq '"kind": ?"APIGroupDiscoveryList"' <<<"$aggregated" \
  || { log "aggregated discovery not served"; exit 1; }
log "ok: aggregated discovery (apidiscovery.k8s.io/v2)"

# CRD + server-side apply + status subresource
k apply --server-side -f - >&2 <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.nodenet.io
spec:
  group: smoke.nodenet.io
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
k wait --for=condition=Established crd/widgets.smoke.nodenet.io --timeout=30s >&2
printf 'apiVersion: smoke.nodenet.io/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' \
  | k apply --server-side --field-manager=smoke -f - >&2
k patch widget w1 --subresource=status --type=merge -p '{"status":{"phase":"Ready"}}' >&2
[[ "$(k get widget w1 -o jsonpath='{.status.phase}/{.spec.size}')" == "Ready/3" ]] \
  || { log "CR status/spec not as expected"; exit 1; }
log "ok: CRD, server-side apply, status subresource"

# ------------------------------------------------------------------ kube-controller-manager
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$tmp/kubeconfig" \
  --controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,disruption-controller,validatingadmissionpolicy-status-controller \
  --service-account-private-key-file="$pki/sa.key" \
  --root-ca-file="$pki/ca.crt" \
  --leader-elect=false \
  --secure-port=0

# serviceaccount-controller creates "default" SAs (needed before pods can be created)
default_sa() { alive kube-controller-manager && k get serviceaccount default -n default; }
wait_for "default ServiceAccount (serviceaccount-controller)" 60 default_sa
# root CA publisher
root_ca() { k get configmap kube-root-ca.crt -n default; }
wait_for "kube-root-ca.crt ConfigMap (root-ca-certificate-publisher-controller)" 60 root_ca
# garbage collector
k create namespace smoke-gc >&2
owner_uid=$(k create configmap owner -n smoke-gc -o jsonpath='{.metadata.uid}')
k apply --server-side -f - >&2 <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  namespace: smoke-gc
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: "$owner_uid"}
EOF
k delete configmap owner -n smoke-gc --wait=false >&2
# not_found ARGS...: true only if `kubectl get ARGS` reports NotFound (not on other errors).
not_found() { local out; out=$(k get "$@" 2>&1) && return 1; [[ $out == *NotFound* || $out == *"not found"* ]]; }
dependent_gone() { not_found configmap dependent -n smoke-gc; }
wait_for "dependent ConfigMap garbage-collected" 60 dependent_gone
# namespace controller
k delete namespace smoke-gc --wait=false >&2
ns_gone() { not_found namespace smoke-gc; }
wait_for "namespace deletion finished (namespace-controller)" 60 ns_gone

# ------------------------------------------------------------------ kube-scheduler + kwok
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$tmp/kubeconfig" \
  --leader-elect=false \
  --secure-port=0

# Minimal kwok stages (written for this test): make annotated nodes Ready and
# pods bound to them Running.
cat > "$tmp/kwok.yaml" <<'EOF'
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: smoke-node-ready
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.phase'
      operator: NotIn
      values: [Running]
  next:
    statusTemplate: |
      phase: Running
      conditions:
      - type: Ready
        status: "True"
        reason: KwokSimulated
        message: simulated by kwok
        lastHeartbeatTime: {{ Now | Quote }}
        lastTransitionTime: {{ Now | Quote }}
      allocatable: {cpu: "16", memory: 32Gi, pods: "110"}
      capacity: {cpu: "16", memory: 32Gi, pods: "110"}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: smoke-pod-running
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: [Pending]
  next:
    statusTemplate: |
      phase: Running
      startTime: {{ Now | Quote }}
      conditions:
      - type: Ready
        status: "True"
        lastTransitionTime: {{ Now | Quote }}
EOF
start kwok "$bin/kwok" \
  --kubeconfig="$tmp/kubeconfig" \
  --config="$tmp/kwok.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40

k apply --server-side -f - >&2 <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: smoke-node
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: smoke-node, type: kwok}
EOF
node_ready() { alive kwok && [[ "$(k get node smoke-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]; }
wait_for "kwok marks Node smoke-node Ready" 60 node_ready
node_lease() { k get lease smoke-node -n kube-node-lease; }
wait_for "kwok renews Lease kube-node-lease/smoke-node" 60 node_lease

k apply --server-side -f - >&2 <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: smoke-pod, namespace: default}
spec:
  containers: [{name: c, image: example.invalid/none:latest}]
  tolerations: [{operator: Exists}]
EOF
pod_running() {
  alive kube-scheduler &&
  [[ "$(k get pod smoke-pod -n default -o jsonpath='{.spec.nodeName}/{.status.phase}')" == smoke-node/Running ]]
}
wait_for "pod scheduled to smoke-node (kube-scheduler) and Running (kwok)" 60 pod_running

all_alive
# Every TCP listener of the processes we started must be on 127.0.0.1.
listeners=$(ss -Hltnp 2>/dev/null || true)
for i in "${!pids[@]}"; do
  socks=$(grep -E "pid=${pids[$i]}," <<<"$listeners" | awk '{print $4}' || true)
  for a in $socks; do
    [[ $a == 127.0.0.1:* ]] || { log "${names[$i]} listens on $a (not loopback)"; exit 1; }
  done
  log "listeners of ${names[$i]}: $(tr '\n' ' ' <<<"${socks:-none}")"
done
failed=0
log "PASS in $((SECONDS - t_start))s; stopping processes"
echo "control-plane smoke: PASS"
