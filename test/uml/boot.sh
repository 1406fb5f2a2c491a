#!/usr/bin/env bash
# Run one command inside a User-Mode Linux guest (Debian's linux.uml) whose
# kernel has bonding, 8021q, dummy, vrf, macvlan, vxlan, ... that the host
# kernel lacks.  The guest's root file system is the host's / (hostfs), so the
# same repo, node binary and tools are there; /run, /etc and /var are made
# guest-private by test/uml/init.sh.  See test/uml/README.md.
#
# usage: test/uml/boot.sh [options] -- COMMAND [ARGS...]
#   --timeout SECONDS  kill the guest after this long (default 600, or
#                      $NODENET_UML_TIMEOUT); exit status 124
#   --mem SIZE         guest memory (default 1024M, or $NODENET_UML_MEM)
#   --cwd DIR          directory to run COMMAND in (default: current dir)
#   --env NAME[=VALUE] also pass this variable into the guest (repeatable)
#   --keep             keep the per-run directory (kernel.log) for debugging
#   -q, --quiet        do not print the "[uml] booted in ..." summary line
#
# COMMAND's stdout and stderr are streamed to boot.sh's stdout and stderr, and
# its exit status is boot.sh's.  Harness exit statuses: 124 timeout, 125 the
# guest failed before/after running COMMAND (kernel log tail is printed),
# 2 usage error, 130/143 interrupted.
set -uo pipefail

prog=test/uml/boot.sh
if [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; then
  echo "[uml] $prog: needs bash >= 5.1 (wait -n -p)" >&2
  exit 125
fi
die() { echo "[uml] $prog: $*" >&2; exit "${2:-125}"; }
usage() {
  sed -n '/^# usage:/,/^# 2 usage/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

TIMEOUT=${NODENET_UML_TIMEOUT:-600}
MEM=${NODENET_UML_MEM:-1024M}
CWD=$PWD
QUIET=0
KEEP=${NODENET_UML_KEEP:-0}
EXTRA_ENV=()
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
    --timeout=*) TIMEOUT=${1#*=}; shift ;;
    --mem) [ $# -ge 2 ] || usage; MEM=$2; shift 2 ;;
    --mem=*) MEM=${1#*=}; shift ;;
    --cwd) [ $# -ge 2 ] || usage; CWD=$2; shift 2 ;;
    --cwd=*) CWD=${1#*=}; shift ;;
    --env) [ $# -ge 2 ] || usage; EXTRA_ENV+=("$2"); shift 2 ;;
    --env=*) EXTRA_ENV+=("${1#*=}"); shift ;;
    --keep) KEEP=1; shift ;;
    -q | --quiet) QUIET=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    *) echo "[uml] $prog: unknown option '$1' (the command goes after --)" >&2; usage ;;
  esac
done
[ $# -gt 0 ] || usage
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || die "--timeout wants whole seconds > 0, got '$TIMEOUT'" 2
[[ $MEM =~ ^[0-9]+[KMG]$ ]] || die "--mem wants e.g. 1024M, got '$MEM'" 2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
INIT=$HERE/init.sh
KERNEL=${NODENET_UML_KERNEL:-$(command -v linux.uml || true)}
[ -n "$KERNEL" ] && [ -x "$KERNEL" ] ||
  die "linux.uml not found: run test/uml/install.sh (apt-get install user-mode-linux kmod)"
command -v modprobe >/dev/null || [ -x /usr/sbin/modprobe ] || die "modprobe not found: run test/uml/install.sh"
[ -d "$CWD" ] || die "--cwd: no such directory: $CWD" 2
CWD=$(cd "$CWD" && pwd -P)

CACHE=${NODENET_CACHE:-${HOME:-/root}/.cache/nodenet}
mkdir -p "$CACHE/uml" || die "cannot create $CACHE/uml"
CACHE=$(cd "$CACHE" && pwd -P)
# The guest must write the exit status where the host can read it: not in a
# directory the guest mounts over, and not in /tmp (tests may mount a tmpfs
# there).  The path goes on the kernel command line: no whitespace.
case $CACHE/ in
  /tmp/* | /run/* | /var/* | /etc/* | /dev/* | /proc/* | /sys/*)
    die "NODENET_CACHE ($CACHE) must not be under /tmp, /run, /var, /etc, /dev, /proc or /sys" ;;
esac
[[ $CACHE$INIT =~ [[:space:]] ]] && die "paths with whitespace are not supported: $CACHE, $INIT"

RUN=$(mktemp -d "$CACHE/uml/run-$$-XXXXXX") || die "mktemp failed in $CACHE/uml"
UML_PID= UML_PGID= WD_PID= CAT_OUT= CAT_ERR=
TIMED_OUT=0

kill_guest() {
  # linux.uml runs in its own process group (job control below); it spawns
  # several host processes (I/O helpers, one per guest address space), all in
  # that group.  TERM lets UML clean up; KILL whatever is left.
  [ -n "$UML_PGID" ] || return 0
  if kill -0 -- "-$UML_PGID" 2>/dev/null; then
    kill -TERM -- "-$UML_PGID" 2>/dev/null
    for ((i = 0; i < 30; i++)); do
      kill -0 -- "-$UML_PGID" 2>/dev/null || break
      read -r -t 0.1 <>"$RUN/wd" 2>/dev/null
    done
    kill -KILL -- "-$UML_PGID" 2>/dev/null
  fi
  [ -n "$UML_PID" ] && wait "$UML_PID" 2>/dev/null
  UML_PID= UML_PGID=
}

cleanup() {
  trap - EXIT INT TERM HUP
  [ -n "$WD_PID" ] && kill "$WD_PID" 2>/dev/null && wait "$WD_PID" 2>/dev/null
  kill_guest
  # The copiers end on EOF once every writer (the UML processes) is gone.
  [ -n "$CAT_OUT$CAT_ERR" ] && wait $CAT_OUT $CAT_ERR 2>/dev/null
  if [ "$KEEP" = 1 ]; then
    echo "[uml] kept $RUN" >&2
  else
    rm -rf -- "$RUN"
  fi
}

on_signal() {
  echo "[uml] interrupted by SIG$1; stopping the guest" >&2
  cleanup
  case $1 in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# ------------------------------------------------------ guest environment ----
# Passed through: PATH (so the guest finds the same node), HOME, locale, and
# anything starting with NODENET_, plus --env.  Deliberately NOT passed:
# NODE_TEST_CONTEXT (set when boot.sh runs under `node --test`; it would turn
# a `node --test` inside the guest into a silent child reporter).
{
  want=(PATH HOME USER LOGNAME LANG LANGUAGE TZ TERM TMPDIR CI NO_COLOR FORCE_COLOR
    NODE_OPTIONS NODE_PATH NODE_ENV NODE_DEBUG NODE_V8_COVERAGE DEBUG)
  for v in $(compgen -e); do
    case $v in NODENET_* | LC_*) want+=("$v") ;; esac
  done
  for v in "${want[@]}"; do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  for e in ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}; do
    name=${e%%=*}
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env: bad variable name in '$e'" 2
    if [[ $e == *=* ]]; then
      printf 'export %s=%q\n' "$name" "${e#*=}"
    elif [ -n "${!name+x}" ]; then
      printf 'export %s=%q\n' "$name" "${!name}"
    fi
  done
  # sbin directories for ip, bridge, modprobe, sysctl even if the caller's
  # PATH lacks them.
  echo 'case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac'
  printf 'NODENET_CWD=%q\n' "$CWD"
  printf 'NODENET_ARGV=('
  printf '%q ' "$@"
  printf ')\n'
} >"$RUN/run.env" || die "cannot write $RUN/run.env"

# -------------------------------------------------------------------- boot ----
mkfifo "$RUN/out" "$RUN/err" "$RUN/wd" || die "mkfifo in $RUN failed"
# UML never sees the caller's descriptors: if it got a terminal it would put
# it in raw mode.  Two copiers forward the guest's tty1/tty2 instead.
cat <"$RUN/out" &
CAT_OUT=$!
cat <"$RUN/err" >&2 &
CAT_ERR=$!

T_START=$EPOCHREALTIME
# con0 (the kernel console, init's own output) -> kernel.log
# con1 = guest /dev/tty1 -> COMMAND's stdout, con2 = /dev/tty2 -> its stderr
# TMPDIR & co. are unset for UML itself: it puts its memory file there
# (default /dev/shm, a tmpfs); the guest gets the caller's TMPDIR via run.env.
set -m # own process group for linux.uml, so it can be killed as a whole
env -u TMPDIR -u TMP -u TEMP "$KERNEL" \
  mem="$MEM" umid=nodenet uml_dir="$RUN/uml" ${NODENET_UML_KARGS:-quiet} \
  root=/dev/root rootfstype=hostfs rootflags=/ rw \
  init="$INIT" nodenet_run="$RUN" \
  con=null ssl=null con0=null,fd:3 con1=null,fd:1 con2=null,fd:4 \
  </dev/null >"$RUN/out" 4>"$RUN/err" 3>>"$RUN/kernel.log" 2>&3 &
UML_PID=$!
UML_PGID=$UML_PID
set +m

# Watchdog: a builtin read with a timeout (no child process to clean up).
(read -r -t "$TIMEOUT" <>"$RUN/wd") 2>/dev/null &
WD_PID=$!

DONE=
# (2>/dev/null: no "Aborted"/"Killed" job notice from bash if UML crashes)
wait -n -p DONE "$UML_PID" "$WD_PID" 2>/dev/null
UML_STATUS=$?
if [ "$DONE" = "$WD_PID" ]; then
  WD_PID=
  TIMED_OUT=1
  kill_guest
else
  UML_PID= # reaped by wait
  kill "$WD_PID" 2>/dev/null && wait "$WD_PID" 2>/dev/null
  WD_PID=
  kill_guest # stray helper processes of the group, if any
fi
T_STOP=$EPOCHREALTIME
# All output forwarded before we report.
wait $CAT_OUT $CAT_ERR 2>/dev/null
CAT_OUT= CAT_ERR=

cmd_summary() {
  local s
  s=$(printf '%q ' "$@")
  s=${s% }
  [ ${#s} -gt 100 ] && s="${s:0:97}..."
  printf '%s' "$s"
}

kernel_tail() {
  # The last kernel/init messages, minus the lines every boot prints and
  # stack dumps.
  local lines
  [ -s "$RUN/kernel.log" ] || return 0
  lines=$(tr -d '\r' <"$RUN/kernel.log" |
    grep -vE '^(SELinux|mmapper_init|Failed to initialize ubd device 0|epollctl add err)|^ *\[<|^ ([0-9a-f]{8} ?)+$|^Stack:|^Call Trace:' |
    tail -n "${1:-20}")
  [ -n "$lines" ] || return 0
  echo "[uml] last kernel/init messages (kernel.log):" >&2
  printf '%s\n' "$lines" | sed 's/^/[uml]   /' >&2
}

if [ "$TIMED_OUT" = 1 ]; then
  echo "[uml] TIMEOUT: $(cmd_summary "$@") did not finish within ${TIMEOUT}s; guest killed" >&2
  kernel_tail 10
  exit 124
fi

STATUS=()
[ -s "$RUN/status" ] && read -r -a STATUS <"$RUN/status"
if [ "${#STATUS[@]}" -ge 6 ] && [[ ${STATUS[0]} =~ ^[0-9]+$ ]]; then
  RC=${STATUS[0]}
  if [ "$QUIET" != 1 ]; then
    UML_CMD=$(cmd_summary "$@") awk -v s="$T_START" -v i="${STATUS[1]}" -v m="${STATUS[2]}" -v c="${STATUS[3]}" \
      -v e="${STATUS[4]}" -v x="$T_STOP" -v rc="$RC" \
      'BEGIN { cmd = ENVIRON["UML_CMD"]; printf "[uml] booted in %.1fs (kernel %.1fs, init %.1fs); ran %s; exit %d in %.1fs (total %.1fs)\n",
                      c - s, i - s, c - i, cmd, rc, e - c, x - s }' >&2
  fi
  exit "$RC"
fi

if [ "${STATUS[0]:-}" = setup-failed ]; then
  echo "[uml] guest setup failed: ${STATUS[*]:1}" >&2
else
  echo "[uml] guest stopped without reporting an exit status (linux.uml exit status $UML_STATUS)" >&2
fi
kernel_tail 25
exit 125
