#!/usr/bin/env bash
# The Debian packages the UML test harness needs (see scripts/apt-install.sh).
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

exec "$(dirname "$(readlink -f "$0")")/../../scripts/apt-install.sh" user-mode-linux kmod iproute2 procps util-linux iputils-ping bash-builtins
