#!/usr/bin/env bash
# Builds nodenet's container image without Docker, as an OCI archive:
#   Debian (mmdebstrap, packages from packages.txt) + Node 24 (the project's
#   own, from the npm registry) + the production node_modules + bin/ and src/,
#   assembled with umoci. Its contents match deploy/Dockerfile, which reads the
#   same packages.txt.
#   scripts/image/build.sh [nodenet|pause]     (default: nodenet)
# The archive's path is the LAST line of stdout; progress goes to stderr:
#   archive=$(scripts/image/build.sh)
# `pause` builds the sandbox image containerd needs in the lab (pause/main.go).
#
# Cache: ${NODENET_CACHE:-$HOME/.cache/nodenet}/image/, outside the repository.
#   base-<key>/       OCI layout: Debian + Node; key = packages.txt, suite, Node binary, this script
#   <name>-<key>.oci.tar  the image; key = base key + package-lock.json + bin/ src/ package.json
# An unchanged tree only prints the archive's path. Every output is written
# under a temporary name and renamed into place; concurrent runs serialise on
# a lock file.
#
# Environment:
#   NODENET_CACHE   cache root
#   IMAGE_TAG       the tag in the archive (default: package.json's version)
#   DEBIAN_SUITE    default: the host's (/etc/os-release VERSION_CODENAME)
#   GO              go binary for the pause image (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
what=${1:-nodenet}
cache=${NODENET_CACHE:-$HOME/.cache/nodenet}/image

log() { printf '[image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: run scripts/install.sh (Debian package $2)"; }

need umoci umoci
need tar tar
version=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$repo/package.json" | head -n 1)
tag=${IMAGE_TAG:-$version}
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "IMAGE_TAG '$tag' is not a valid image tag"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

work=""
cleanup() { if [[ -n "$work" ]]; then rm -rf "$work"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# sha_of FILE...: one hash over the files' names and contents.
sha_of() { (cd "$repo" && sha256sum "$@") | sha256sum | cut -c1-16; }

# archive LAYOUT OUT: the OCI layout as one tar (what `ctr images import` reads).
archive() {
  tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner -cf "$2.tmp" . && mv -f "$2.tmp" "$2"
}

# ---------------------------------------------------------------- pause
if [[ $what == pause ]]; then
  if [[ -z "${GO:-}" ]]; then
    if command -v go >/dev/null 2>&1; then GO=$(command -v go)
    elif [[ -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go
    else die "no Go toolchain found (set GO=/path/to/go)"; fi
  fi
  key=$( { sha_of scripts/image/pause/main.go scripts/image/pause/go.mod scripts/image/build.sh; "$GO" env GOVERSION; } | sha256sum | cut -c1-16)
  out="$cache/pause-$key.oci.tar"
  if [[ -f $out ]]; then printf '%s\n' "$out"; exit 0; fi
  t0=$SECONDS
  work=$(mktemp -d "$cache/.work-pause.XXXXXX")
  mkdir -p "$work/rootfs"
  (cd "$here/pause" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    "$GO" build -trimpath -ldflags "-s -w" -o "$work/rootfs/pause" .) >&2
  umoci init --layout "$work/oci" >&2
  umoci new --image "$work/oci:$tag" >&2
  umoci insert --image "$work/oci:$tag" "$work/rootfs/pause" /pause >&2
  umoci config --image "$work/oci:$tag" --config.entrypoint /pause --config.user 65535:65535 >&2
  umoci gc --layout "$work/oci" >&2
  archive "$work/oci" "$out"
  find "$cache" -maxdepth 1 -name 'pause-*.oci.tar' ! -name "${out##*/}" -delete
  log "pause image in $((SECONDS - t0))s: $out ($(du -h "$out" | cut -f1))"
  printf '%s\n' "$out"
  exit 0
fi
[[ $what == nodenet ]] || die "unknown image '$what' (nodenet or pause)"

# ---------------------------------------------------------------- base: Debian + Node
need mmdebstrap mmdebstrap
node_bin=$(readlink -f "$repo/node_modules/node/bin/node" 2>/dev/null || true)
[[ -x $node_bin ]] || die "no Node binary in node_modules/node/bin/node: run scripts/install.sh"
node_version=$("$node_bin" --version)
[[ $node_version == v24.* ]] || die "node_modules has Node $node_version; the image needs Node 24"
suite=${DEBIAN_SUITE:-$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")}
[[ -n $suite ]] || die "cannot tell the Debian suite: set DEBIAN_SUITE"
packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | tr -d ' \t' | sort | paste -sd, -)

base_key=$( { sha_of scripts/image/packages.txt scripts/image/build.sh; printf '%s\n' "$suite"; sha256sum < "$node_bin"; } | sha256sum | cut -c1-16)
base="$cache/base-$base_key"
start=$SECONDS
if [[ ! -d $base ]]; then
  log "base image: Debian $suite (variant essential) + $packages + Node $node_version"
  t0=$SECONDS
  work=$(mktemp -d "$cache/.work-base.XXXXXX")
  # The host's own apt sources, so the image comes from the same mirror.
  mirror=()
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [[ -s $f ]] && grep -q '^[^#]' "$f"; then mirror=("$f"); break; fi
  done
  mmdebstrap --quiet --variant=essential --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
    "$suite" "$work/rootfs" "${mirror[@]}" >&2
  install -D -m 0755 "$node_bin" "$work/rootfs/usr/local/bin/node"
  umoci init --layout "$work/oci" >&2
  umoci new --image "$work/oci:base" >&2
  umoci unpack --image "$work/oci:base" "$work/bundle" >&2
  rmdir "$work/bundle/rootfs"
  mv "$work/rootfs" "$work/bundle/rootfs"
  umoci repack --image "$work/oci:base" "$work/bundle" >&2
  umoci gc --layout "$work/oci" >&2
  mv "$work/oci" "$base"
  rm -rf "$work"; work=""
  # Older bases are never used again (their key names inputs that changed).
  find "$cache" -maxdepth 1 -name 'base-*' ! -name "base-$base_key" -exec rm -rf {} +
  log "base image in $((SECONDS - t0))s"
fi

# ---------------------------------------------------------------- app layer
# What goes into /opt/nodenet: as deploy/Dockerfile's COPY lines (no tests;
# deploy/systemd: the boot unit the host-install init container copies out).
mapfile -t app_files < <(cd "$repo" && { printf '%s\n' package.json package-lock.json; find bin src deploy/systemd -type f ! -name '*.test.ts'; } | LC_ALL=C sort)
key=$( { printf '%s\n' "$base_key" "$tag"; sha_of "${app_files[@]}"; } | sha256sum | cut -c1-16)
out="$cache/nodenet-$tag-$key.oci.tar"
if [[ -f $out ]]; then printf '%s\n' "$out"; exit 0; fi

t0=$SECONDS
work=$(mktemp -d "$cache/.work-app.XXXXXX")
app="$work/app"
mkdir -p "$app"
(cd "$repo" && cp --parents -a "${app_files[@]}" "$app/")
log "production node_modules (npm ci --omit=dev)"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
rm -f "$app/package-lock.json"

cp -a "$base" "$work/oci"
umoci unpack --image "$work/oci:base" "$work/bundle" >&2
mkdir -p "$work/bundle/rootfs/opt"
mv "$app" "$work/bundle/rootfs/opt/nodenet"
chown -R 0:0 "$work/bundle/rootfs/opt/nodenet"
ln -sfn /opt/nodenet/bin/nodenet "$work/bundle/rootfs/usr/local/bin/nodenet"
umoci repack --image "$work/oci:base" --refresh-bundle "$work/bundle" >&2
umoci tag --image "$work/oci:base" "$tag" >&2
umoci rm --image "$work/oci:base" >&2
umoci config --image "$work/oci:$tag" \
  --config.entrypoint nodenet --config.workingdir /opt/nodenet \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env NODE_ENV=production --config.env NODE_COMPILE_CACHE=/tmp/nodenet-compile-cache \
  --config.label org.opencontainers.image.version="$version" \
  --config.label org.opencontainers.image.title=nodenet >&2
umoci gc --layout "$work/oci" >&2
archive "$work/oci" "$out"
# The same tag built from an older tree: superseded. Other tags stay (an
# upgrade test needs two).
find "$cache" -maxdepth 1 -name "nodenet-$tag-*.oci.tar" ! -name "${out##*/}" -delete
log "image nodenet:$tag in $((SECONDS - t0))s (total $((SECONDS - start))s): $out ($(du -h "$out" | cut -f1))"
printf '%s\n' "$out"
