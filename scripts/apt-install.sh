#!/usr/bin/env bash
# Installs the Debian packages named as arguments, only those missing.
# Quiet when everything is installed; runs `apt-get update` only when apt
# knows no candidate for a missing package (or once after a failed download).
#   scripts/apt-install.sh PACKAGE...
set -euo pipefail
PKGS=("$@")

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "apt-install: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "apt-install: installing ${missing[*]}" >&2
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
