#!/bin/bash
# PID 1 of the User-Mode Linux guest started by test/uml/boot.sh.
#
# The guest's root file system is the HOST's / (hostfs): every write outside
# the private mounts made below lands in real host files.  This script makes
# the places that networking tools write to guest-private, loads the kernel
# modules the tests need, runs the command boot.sh was given and reports its
# exit status through a file in boot.sh's per-run directory, then powers off.
#
# Input: the kernel parameter nodenet_run=DIR (the kernel hands unknown
# parameters to init as environment variables): boot.sh's per-run directory.
# DIR/run.env (written by boot.sh) sets the command, its cwd and environment;
# this script writes DIR/status: "RC T_INIT T_MODULES T_CMD T_END T_DONE"
# (epoch seconds), or "setup-failed REASON".  Its own messages go to the
# kernel console, which boot.sh connects to DIR/kernel.log.
#
# Spawning a process costs tens of ms in UML, so this script uses bash
# builtins (and bash's loadable builtins, when bash-builtins is installed)
# wherever it can.

T_INIT=$EPOCHREALTIME
HERE=${0%/*}                   # test/uml (absolute: the kernel runs init by path)
PRIV=/run/nodenet-uml          # guest-private (tmpfs), never visible on host
RUN_DIR=${nodenet_run:-}
exec </dev/null

for b in mkdir mkfifo ln sync sleep; do
  enable -f "/usr/lib/bash/$b" "$b" 2>/dev/null
done

log() { echo "[init] $*"; }

poweroff_now() {
  # sysrq 'o' powers the UML instance off (linux.uml exits 0).  It is
  # asynchronous: PID 1 must not exit meanwhile, or the kernel panics.
  echo o >/proc/sysrq-trigger
  while :; do read -r -t 1 <>"$PRIV/idle" 2>/dev/null || sleep 1; done
}

fail() {
  log "FATAL: $*"
  if [ -n "$RUN_DIR" ] && [ -d "$RUN_DIR" ]; then
    echo "setup-failed $*" >"$RUN_DIR/status"
  fi
  poweroff_now
}

# ---------------------------------------------------------------- mounts ----
# devtmpfs is already on /dev (the kernel mounts it: CONFIG_DEVTMPFS_MOUNT).
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
# /run: `ip netns add` creates /run/netns/NAME there (and would otherwise on
# the host!); dnsmasq, dhclient, NetworkManager, udev and nodenet keep pid
# files, sockets and state there.
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run || fail "mount /run"
mkdir -p "$PRIV/modroot/lib/modules" "$PRIV/ovl/etc/upper" "$PRIV/ovl/etc/work" \
  "$PRIV/ovl/var/upper" "$PRIV/ovl/var/work" /run/lock /dev/pts /dev/shm || fail "mkdir"
mkfifo "$PRIV/idle" "$PRIV/out" "$PRIV/err" || fail "mkfifo"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /dev/pts || log "devpts failed"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || log "/dev/shm failed"
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr

# --------------------------------------------------------------- modules ----
# The UML kernel's modules are in /usr/lib/uml/modules/<ver>; modprobe wants
# DIR/lib/modules/<ver>.  The link lives in guest-private tmpfs; the wrapper
# $HERE/bin/modprobe adds -d and the options in $HERE/modprobe.conf.
KVER=$(</proc/sys/kernel/osrelease)
ln -s "/usr/lib/uml/modules/$KVER" "$PRIV/modroot/lib/modules/$KVER" || fail "module link"
echo "$HERE/bin/modprobe" >/proc/sys/kernel/modprobe
# ipv6 is a module in this kernel: without it there is no IPv6 at all.
MODULES="ipv6 bonding 8021q dummy veth bridge vrf macvlan vxlan overlay"
"$HERE/bin/modprobe" -a $MODULES || fail "modprobe $MODULES"
T_MODS=$EPOCHREALTIME

# /etc and /var: copy-on-write overlays over the host's directories, so that
# /etc/netns/NAME/resolv.conf (ip netns), /etc/resolv.conf, /etc/hostname,
# /etc/iproute2/*, /var/lib/misc/dnsmasq.leases, /var/lib/dhcp/*.leases,
# /var/lib/NetworkManager, /var/log ... written inside the guest never reach
# the host.  The guest sees the host's files as they were at boot.
for d in etc var; do
  mount -t overlay overlay \
    -o "lowerdir=/$d,upperdir=$PRIV/ovl/$d/upper,workdir=$PRIV/ovl/$d/work" "/$d" ||
    fail "overlay on /$d"
done
mkdir -p /etc/netns /var/lib/misc /var/lib/dhcp

# ------------------------------------------------------------------ misc ----
echo nodenet-uml >/proc/sys/kernel/hostname
ip link set lo up || fail "lo up"

# ----------------------------------------------------------- the command ----
[ -n "$RUN_DIR" ] && [ -r "$RUN_DIR/run.env" ] || fail "no run.env in '$RUN_DIR'"
# Start from an empty environment; run.env exports the chosen variables and
# sets NODENET_ARGV (array) and NODENET_CWD.
for v in $(compgen -e); do unset "$v"; done
# shellcheck disable=SC1091
. "$RUN_DIR/run.env" || fail "source run.env"
export PATH="$HERE/bin:${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"
export NODENET_UML=1
cd "$NODENET_CWD" || fail "cd $NODENET_CWD"

# The command's stdout/stderr are pipes (not the guest's ttys), so programs
# behave as they do under CI: no colours, no tty-only reporters.  Two `cat`s
# copy the pipes to /dev/tty1 and /dev/tty2, which boot.sh connects to its
# stdout and stderr.  -opost: no "\n" -> "\r\n" translation.
exec 5>/dev/tty1 6>/dev/tty2 || fail "open tty1/tty2"
stty -opost <&5 && stty -opost <&6 || fail "stty"
cat <"$PRIV/out" >&5 5>&- 6>&- &
CAT_OUT=$!
cat <"$PRIV/err" >&6 5>&- 6>&- &
CAT_ERR=$!

T_CMD=$EPOCHREALTIME
"${NODENET_ARGV[@]}" </dev/null >"$PRIV/out" 2>"$PRIV/err" 5>&- 6>&-
RC=$?
T_END=$EPOCHREALTIME

# Wait (up to ~3 s) for the copiers; a daemon the command left running may
# still hold the pipes open (then its later output is dropped).
for ((i = 0; i < 150; i++)); do
  kill -0 "$CAT_OUT" 2>/dev/null || kill -0 "$CAT_ERR" 2>/dev/null || break
  read -r -t 0.02 <>"$PRIV/idle"
done
kill "$CAT_OUT" "$CAT_ERR" 2>/dev/null
# Make sure everything written to tty1/tty2 has reached the host before the
# power goes: stty sets the mode with TCSADRAIN, i.e. after the output queue
# has drained.
stty -opost <&5 && stty -opost <&6
exec 5>&- 6>&-

printf '%s %s %s %s %s %s\n' "$RC" "$T_INIT" "$T_MODS" "$T_CMD" "$T_END" "$EPOCHREALTIME" \
  >"$RUN_DIR/status"
sync
poweroff_now
