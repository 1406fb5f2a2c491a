#!/usr/bin/env bash
# Idempotently install the Debian packages the UML test harness needs.
# Quiet when everything is already installed; runs `apt-get update` only when
# a package cannot be found in the current package lists.
set -euo pipefail

# user-mode-linux: the guest kernel (/usr/bin/linux.uml) and its modules
#                  (/usr/lib/uml/modules/<ver>)
# kmod:            modprobe (runs inside the guest, from the host filesystem)
# iproute2:        ip / bridge (used by the tests inside the guest)
# procps:          ps (selftest checks for leftover linux.uml processes)
# util-linux:      mount (inside the guest)
# iputils-ping:    ping (selftest sends traffic over a bond and a VLAN)
# bash-builtins:   loadable mkdir/ln/mkfifo/sync for init.sh (saves spawns,
#                  which cost tens of ms each inside UML); optional
PKGS=(user-mode-linux kmod iproute2 procps util-linux iputils-ping bash-builtins)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "test/uml/install.sh: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "test/uml/install.sh: installing ${missing[*]}" >&2
# Only refresh the package lists if apt does not know a candidate for one of
# the missing packages (fresh machine, or lists never downloaded).
need_update=0
for p in "${missing[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; fi
done
if [ "$need_update" -eq 1 ]; then
  apt-get update -qq >&2
fi
apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >&2 || {
  # Stale lists can make a download 404; refresh once and retry.
  apt-get update -qq >&2
  apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >&2
}
