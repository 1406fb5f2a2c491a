#!/usr/bin/env bash
# Build the control-plane binaries nodenet's cluster tests run against:
#   kube-apiserver, kube-controller-manager, kube-scheduler, etcd
# from Go modules (Go module proxy), at the versions pinned in versions.env.
# With --kubelet it also builds the kubelet (same version, same bin dir), for
# lab nodes that run real pods; with --kubectl a kubectl of the same version
# (its built-in kustomize renders deploy/); with --helm Helm (HELM_VERSION, for
# the chart in deploy/chart). Without them an existing cache stays untouched.
#
# Output: binaries in a version-keyed cache outside the repo,
#   ${NODENET_CACHE:-$HOME/.cache/nodenet}/control-plane/k8s-<v>-etcd-<v>/bin/
# The bin dir is printed as the LAST line of stdout; all progress goes to stderr:
#   bin=$(scripts/control-plane/build.sh)
#
# Idempotent: if every binary already exists it only prints the bin dir.
# Each binary is built to a temporary name and renamed into place, so an
# interrupted build never leaves a file that looks complete. Concurrent runs
# for the same versions serialise on a lock file.
#
# Environment:
#   NODENET_CACHE            cache root (default $HOME/.cache/nodenet)
#   K8S_VERSION, ETCD_VERSION   override versions.env
#   GO                       go binary (default: `go` on PATH, else /usr/local/go/bin/go)
#   GOMODCACHE, GOCACHE, GOPROXY   honoured as usual; by default Go's own
#                            module cache and build cache are used (shared with
#                            any other Go work on the machine).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Environment wins over versions.env.
_env_k8s=${K8S_VERSION:-} _env_etcd=${ETCD_VERSION:-} _env_helm=${HELM_VERSION:-}
# shellcheck source=versions.env disable=SC1091
. "$here/versions.env"
K8S_VERSION=${_env_k8s:-$K8S_VERSION}
ETCD_VERSION=${_env_etcd:-$ETCD_VERSION}
HELM_VERSION=${_env_helm:-$HELM_VERSION}

cache_root=${NODENET_CACHE:-$HOME/.cache/nodenet}/control-plane
key="k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}"
dir="$cache_root/$key"
bin="$dir/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd)
# Helm's version is not part of the cache key: the binary carries it in its
# name (helm-v4.3.1) and bin/helm links to the one built last.
helm_binary="helm-$HELM_VERSION"
for arg in "$@"; do
  case "$arg" in
    --kubelet) binaries+=(kubelet) ;;
    --kubectl) binaries+=(kubectl) ;;
    --helm) binaries+=("$helm_binary") ;;
    *) printf '[control-plane] ERROR: unknown argument %s (--kubelet, --kubectl, --helm)\n' "$arg" >&2; exit 2 ;;
  esac
done

all_present() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  if [[ " ${binaries[*]} " == *" $helm_binary "* ]]; then
    [[ "$(readlink "$bin/helm" 2>/dev/null)" == "$helm_binary" ]] || return 1
  fi
}

# Fast path: nothing to do.
if all_present; then
  printf '%s\n' "$bin"
  exit 0
fi

log() { printf '[control-plane] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- go toolchain
if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO=$(command -v go)
  elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
  else die "no Go toolchain found (install Go >= 1.26 or set GO=/path/to/go)"; fi
fi
go_ver=$("$GO" env GOVERSION) || die "cannot run $GO"
case "$go_ver" in
  go1.2[6-9]*|go1.[3-9][0-9]*) ;;
  *) die "$GO is $go_ver; Kubernetes ${K8S_VERSION} needs Go >= 1.26" ;;
esac
# Never let `go` download a different toolchain behind our back.
export GOTOOLCHAIN=local
# Static binaries, no C compiler needed.
export CGO_ENABLED=0

# ---------------------------------------------------------------- lock
mkdir -p "$bin" "$dir/work"
exec 9>"$dir/.lock"
if ! flock -n 9; then
  log "another build of $key is running; waiting for it…"
  flock 9
fi
if all_present; then   # the other build finished the job
  printf '%s\n' "$bin"
  exit 0
fi

# ---------------------------------------------------------------- cleanup
heartbeat_pid=""
build_pid=""
tmp_out=""
cleanup() {
  # The build runs in its own process group (see build_step): stop the whole
  # group (go + compile/link children), then drop the half-written output.
  if [[ -n "$build_pid" ]]; then
    kill -TERM -- "-$build_pid" 2>/dev/null || true
    wait "$build_pid" 2>/dev/null || true
  fi
  if [[ -n "$heartbeat_pid" ]]; then
    kill -TERM -- "-$heartbeat_pid" 2>/dev/null || true
    wait "$heartbeat_pid" 2>/dev/null || true
  fi
  if [[ -n "$tmp_out" ]]; then rm -rf "$tmp_out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_all=$SECONDS
log "building control plane $key into $bin"
log "go: $go_ver ($GO); module cache: $("$GO" env GOMODCACHE); build cache: $("$GO" env GOCACHE)"

# build_step NAME VERSION COMMAND...: run COMMAND (which must write the binary
# to $tmp_out/NAME), check it runs, then rename it into $bin.
build_step() {
  local name=$1 version=$2; shift 2
  if [[ -x "$bin/$name" ]]; then
    log "$name $version already built"
    return 0
  fi
  local t0=$SECONDS
  log "building $name $version (first build takes several minutes on 2 cores)…"
  tmp_out=$(mktemp -d "$bin/.tmp-$name.XXXXXX")
  # Heartbeat and build run as background jobs, each in its own process group
  # (set -m), without the lock fd (9>&-) so no straggler keeps the lock.
  # Waiting on them lets a TERM/INT to this script be handled at once, and
  # cleanup stops exactly those groups.
  set -m
  ( while sleep 60; do log "  … still building $name ($((SECONDS - t0))s)"; done ) 9>&- &
  heartbeat_pid=$!
  "$@" >&2 9>&- &
  build_pid=$!
  set +m
  wait "$build_pid"
  build_pid=""
  kill -TERM -- "-$heartbeat_pid" 2>/dev/null || true; wait "$heartbeat_pid" 2>/dev/null || true; heartbeat_pid=""
  [[ -x "$tmp_out/$name" ]] || die "build of $name produced no binary"
  local v
  # (capture whole output: `| head -n 1` under pipefail can fail with SIGPIPE)
  local version_args=(--version)
  case "$name" in
    kubectl) version_args=(version --client) ;;
    helm-*) version_args=(version --short) ;;
  esac
  v=$("$tmp_out/$name" "${version_args[@]}" 2>&1) || die "$name ${version_args[*]} failed: $v"
  v=${v%%$'\n'*}
  mv -f "$tmp_out/$name" "$bin/$name"
  rm -rf "$tmp_out"; tmp_out=""
  log "built $name in $((SECONDS - t0))s (total $((SECONDS - start_all))s): $v"
}

# module_info MODULE@VERSION: download the module; print `go mod download -json`'s answer.
module_info() {
  local info
  info=$("$GO" mod download -json "$1") || die "cannot download $1: $info"
  printf '%s\n' "$info"
}

# info_file INFO FIELD: the file path in FIELD ("GoMod", "Info") of module_info's answer.
info_file() {
  printf '%s\n' "$1" | sed -n "s/^[[:space:]]*\"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p"
}

# take_go_mod DIR: DIR/go.mod.new becomes the wrapper module's go.mod when it
# differs from the one generated last (versions changed, or the first run):
# then go.mod and go.sum start afresh; otherwise the resolved ones are kept.
take_go_mod() {
  if ! cmp -s "$1/go.mod.new" "$1/go.mod.gen" 2>/dev/null; then
    cp "$1/go.mod.new" "$1/go.mod"
    mv -f "$1/go.mod.new" "$1/go.mod.gen"
    rm -f "$1/go.sum"
  else
    rm -f "$1/go.mod.new"
  fi
}

# ---------------------------------------------------------------- kubernetes
k8s_mod_dir="$dir/work/kubernetes"
staging_version="v0.${K8S_VERSION#v1.}"   # v1.37.1 -> v0.37.1

prepare_kubernetes() {
  local info gomod
  log "resolving k8s.io/kubernetes@$K8S_VERSION"
  info=$(module_info "k8s.io/kubernetes@$K8S_VERSION")
  gomod=$(info_file "$info" GoMod)
  [[ -f "$gomod" ]] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
  # Staging modules: k8s.io/* required at the placeholder version v0.0.0.
  local staging
  staging=$(sed -n -E 's/^[[:space:]]*(require[[:space:]]+)?(k8s\.io\/[^[:space:]]+)[[:space:]]+v0\.0\.0([[:space:]].*)?$/\2/p' "$gomod" | sort -u)
  local n
  n=$(printf '%s\n' "$staging" | grep -c . || true)
  [[ "$n" -ge 20 ]] || die "found only $n staging modules in $gomod; layout changed?"
  log "k8s.io/kubernetes@$K8S_VERSION: pinning $n staging modules to $staging_version"

  # Build-date for version info: the module's publication time (reproducible).
  local infofile
  infofile=$(info_file "$info" Info)
  k8s_build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$infofile" 2>/dev/null || true)
  [[ -n "$k8s_build_date" ]] || k8s_build_date=1970-01-01T00:00:00Z

  mkdir -p "$k8s_mod_dir"
  {
    printf '// Generated by nodenet scripts/control-plane/build.sh. Do not edit.\n'
    printf 'module nodenet.local/control-plane/kubernetes\n\ngo 1.26.0\n\n'
    printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    local m
    for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
    printf ')\n'
  } > "$k8s_mod_dir/go.mod.new"
  take_go_mod "$k8s_mod_dir"

  write_main "$k8s_mod_dir/cmd/kube-apiserver/main.go" \
    k8s.io/kubernetes/cmd/kube-apiserver/app 'app.NewAPIServerCommand()'
  write_main "$k8s_mod_dir/cmd/kube-controller-manager/main.go" \
    k8s.io/kubernetes/cmd/kube-controller-manager/app 'app.NewControllerManagerCommand()'
  write_main "$k8s_mod_dir/cmd/kube-scheduler/main.go" \
    k8s.io/kubernetes/cmd/kube-scheduler/app 'app.NewSchedulerCommand()'
  write_main "$k8s_mod_dir/cmd/kubectl/main.go" \
    k8s.io/kubectl/pkg/cmd 'cmd.NewDefaultKubectlCommand()'
  # The kubelet's command takes a context; the blank imports register its JSON
  # logs and metrics as upstream's main does.
  mkdir -p "$k8s_mod_dir/cmd/kubelet"
  cat > "$k8s_mod_dir/cmd/kubelet/main.go" <<'EOF'
// Generated by nodenet scripts/control-plane/build.sh. Do not edit.
package main

import (
	"context"
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kubelet/app"
)

func main() { os.Exit(cli.Run(app.NewKubeletCommand(context.Background()))) }
EOF
}

# write_main FILE IMPORT EXPR: a main package running a cobra command built by EXPR.
write_main() {
  mkdir -p "$(dirname "$1")"
  cat > "$1" <<EOF
// Generated by nodenet scripts/control-plane/build.sh. Do not edit.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"$2"
)

func main() { os.Exit(cli.Run($3)) }
EOF
}

k8s_ldflags() {
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local f="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    f+=" -X $p.gitTreeState=clean -X $p.buildDate=$k8s_build_date"
  done
  printf '%s' "$f"
}

build_k8s_binary() {  # NAME
  (cd "$k8s_mod_dir" && GOFLAGS="-mod=mod -buildvcs=false" \
    "$GO" build -trimpath -ldflags "$(k8s_ldflags)" -o "$tmp_out/$1" "./cmd/$1")
}

# ---------------------------------------------------------------- etcd
etcd_mod_dir="$dir/work/etcd"

prepare_etcd() {
  local info gomod
  log "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  info=$(module_info "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  gomod=$(info_file "$info" GoMod)
  [[ -f "$gomod" ]] || die "no go.mod for go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  # Sibling modules that etcd's own repo replaces with ../ paths: pin them to
  # the same release (a replace in a dependency's go.mod does not apply to us).
  local siblings
  siblings=$(sed -n -E 's/^[[:space:]]*(replace[[:space:]]+)?(go\.etcd\.io\/etcd\/[^[:space:]]+)[[:space:]]+=>[[:space:]]+\.\.\/.*$/\2/p' "$gomod" | sort -u)

  mkdir -p "$etcd_mod_dir/cmd/etcd"
  {
    printf '// Generated by nodenet scripts/control-plane/build.sh. Do not edit.\n'
    printf 'module nodenet.local/control-plane/etcd\n\ngo 1.26.0\n\nrequire (\n'
    printf '\tgo.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION"
    local m
    for m in $siblings; do printf '\t%s %s\n' "$m" "$ETCD_VERSION"; done
    printf ')\n'
  } > "$etcd_mod_dir/go.mod.new"
  take_go_mod "$etcd_mod_dir"
  cat > "$etcd_mod_dir/cmd/etcd/main.go" <<'EOF'
// Generated by nodenet scripts/control-plane/build.sh. Do not edit.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
}

build_etcd() {
  (cd "$etcd_mod_dir" && GOFLAGS="-mod=mod -buildvcs=false" \
    "$GO" build -trimpath -ldflags "-s -w" -o "$tmp_out/etcd" ./cmd/etcd)
}

# ---------------------------------------------------------------- helm
helm_mod_dir="$dir/work/helm"
helm_major=${HELM_VERSION%%.*}   # v4.3.1 -> v4

# A wrapper module requiring Helm at HELM_VERSION; `go build` of its cmd/helm
# package (Helm's own main). Helm 4.3 is built against client-go v0.37, the
# control plane's line, so most packages come from the warm build cache.
prepare_helm() {
  log "resolving helm.sh/helm/$helm_major@$HELM_VERSION"
  module_info "helm.sh/helm/$helm_major@$HELM_VERSION" >/dev/null
  mkdir -p "$helm_mod_dir"
  printf '// Generated by nodenet scripts/control-plane/build.sh. Do not edit.\nmodule nodenet.local/control-plane/helm\n\ngo 1.26.0\n\nrequire helm.sh/helm/%s %s\n' \
    "$helm_major" "$HELM_VERSION" > "$helm_mod_dir/go.mod.new"
  take_go_mod "$helm_mod_dir"
}

build_helm() {
  # Without the -X, `helm version` says only the minor line (v4.3).
  (cd "$helm_mod_dir" && GOFLAGS="-mod=mod -buildvcs=false" \
    "$GO" build -trimpath -ldflags "-s -w -X helm.sh/helm/$helm_major/internal/version.version=$HELM_VERSION" \
    -o "$tmp_out/$helm_binary" "helm.sh/helm/$helm_major/cmd/helm")
}

# ---------------------------------------------------------------- go
need_k8s=0
for b in "${binaries[@]}"; do
  [[ $b == etcd || $b == "$helm_binary" || -x "$bin/$b" ]] || need_k8s=1
done
if [[ $need_k8s == 1 ]]; then
  prepare_kubernetes
  build_step kube-apiserver "$K8S_VERSION" build_k8s_binary kube-apiserver
  build_step kube-controller-manager "$K8S_VERSION" build_k8s_binary kube-controller-manager
  build_step kube-scheduler "$K8S_VERSION" build_k8s_binary kube-scheduler
  if [[ " ${binaries[*]} " == *" kubelet "* ]]; then
    build_step kubelet "$K8S_VERSION" build_k8s_binary kubelet
  fi
  if [[ " ${binaries[*]} " == *" kubectl "* ]]; then
    build_step kubectl "$K8S_VERSION" build_k8s_binary kubectl
  fi
fi
if [[ " ${binaries[*]} " == *" $helm_binary "* ]]; then
  if [[ ! -x "$bin/$helm_binary" ]]; then
    prepare_helm
    build_step "$helm_binary" "$HELM_VERSION" build_helm
  fi
  ln -sfn "$helm_binary" "$bin/helm"
fi
if [[ ! -x "$bin/etcd" ]]; then
  prepare_etcd
  build_step etcd "$ETCD_VERSION" build_etcd
fi

all_present || die "some binaries are missing in $bin"
log "control plane ready in $((SECONDS - start_all))s: $bin"
printf '%s\n' "$bin"
