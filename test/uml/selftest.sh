#!/usr/bin/env bash
# Self-test of the UML harness (test/uml/boot.sh).  Needs root; installs the
# Debian packages it needs (test/uml/install.sh).  Takes about a minute.
#
#   test/uml/selftest.sh            run everything
#   test/uml/selftest.sh -v         also show the guest's full output
#
# Checks: the kernel features the host lacks work in the guest (bond, VLAN,
# dummy, VRF, VLAN-filtering bridge, traffic over a bond and a VLAN, bond
# failover, on-demand module loading, IPv6); exit statuses pass through; output
# streams are separate and intact; arguments survive quoting; --timeout kills
# the guest (124) and leaves no linux.uml process; Ctrl-C (SIGINT) stops it;
# and nothing leaks to the host: `ip netns list`, /run/netns, /etc/netns,
# /etc/resolv.conf, /etc/hostname, /var/lib/misc, the repo's files and the
# harness's cache directory are the same afterwards.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
BOOT=$HERE/boot.sh
VERBOSE=0
[ "${1:-}" = -v ] && VERBOSE=1

"$HERE/install.sh" || { echo "install.sh failed" >&2; exit 1; }

CACHE=${NODENET_CACHE:-${HOME:-/root}/.cache/nodenet}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nodenet-uml-selftest.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

passed=0 failed=0 n=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
show() { # show FILE: indented, only when verbose or on failure
  sed 's/^/    # /' "$1"
}

uml_procs() { # live (non-zombie) linux.uml processes
  ps -eo pid=,stat=,comm= | awk '$3 == "linux.uml" && $2 !~ /^Z/ { print $1 }'
}
no_uml_left() {
  local i
  for ((i = 0; i < 20; i++)); do
    [ -z "$(uml_procs)" ] && return 0
    sleep 0.1
  done
  return 1
}

# Other work may go on on this machine meanwhile (namespaces, files), so the
# leak checks look for what the guest made (its names and a marker string)
# plus a before/after snapshot of files nobody else should touch.
MARK=nodenet-uml-leak-marker
NETNS_NAMES=(nodenet-st-a nodenet-st-b nodenet-leak-test)
leaks() { # prints whatever the guest left on the host
  local ns f
  for ns in "${NETNS_NAMES[@]}"; do
    ip netns list 2>/dev/null | grep -qw -- "$ns" && echo "ip netns list has $ns"
    [ -e "/run/netns/$ns" ] && echo "/run/netns/$ns exists"
    [ -e "/etc/netns/$ns" ] && echo "/etc/netns/$ns exists"
  done
  for f in /etc/resolv.conf /etc/hostname /etc/iproute2/rt_tables \
    /var/lib/misc/dnsmasq.leases /var/lib/dhcp/dhclient.leases; do
    grep -qs -- "$MARK" "$f" && echo "$f has the guest's marker"
  done
  [ -e /run/nodenet-uml ] && echo "/run/nodenet-uml exists on the host"
  [ -e "$HOME/.uml" ] && echo "$HOME/.uml exists (UML's default uml_dir)"
  return 0
}
host_snapshot() {
  {
    echo "== /etc/netns exists?"
    [ -e /etc/netns ] && echo yes || echo no
    echo "== /etc files"
    md5sum /etc/resolv.conf /etc/hostname /etc/hosts /etc/iproute2/rt_tables 2>&1
    echo "== /var/lib/dhcp exists?"
    [ -e /var/lib/dhcp ] && echo yes || echo no
    # Look at test/uml itself, and for the harness's own file names anywhere
    # in the repo (others may be editing the rest of it).
    echo "== repo: test/uml"
    (cd "$HERE" && ls -laR --time-style=+%s . | grep -v ' \.\.\?$')
    echo "== repo: harness files elsewhere"
    find "$REPO" -path "$REPO/.git" -prune -o -path '*/node_modules' -prune -o \
      \( -name run.env -o -name kernel.log -o -name mconsole -o -name 'run-[0-9]*' \
      -o -name .uml -o -name nodenet-uml \) -print
    echo "== harness cache"
    ls -la "$CACHE/uml" 2>&1 | grep -v ' \.\.\?$' || true
  } 2>&1
}

host_snapshot >"$WORK/before"
leaks >"$WORK/leaks-before"
if [ -s "$WORK/leaks-before" ]; then
  echo "# warning: leftovers from an earlier run (cleaning netns):" && show "$WORK/leaks-before"
  for ns in "${NETNS_NAMES[@]}"; do ip netns del "$ns" 2>/dev/null; done
fi

# 1. Kernel features inside the guest -------------------------------------
"$BOOT" --timeout 180 -- "$HERE/selftest-guest.sh" >"$WORK/g.out" 2>"$WORK/g.err"
rc=$?
if [ $rc -eq 0 ]; then
  ok "guest: bond/VLAN/dummy/VRF/VLAN-filtering bridge, traffic, failover ($(grep -c '^guest ok' "$WORK/g.out") checks)"
else
  nok "guest feature checks (boot.sh exit $rc)"
  grep -E '^guest not ok' "$WORK/g.out" | sed 's/^/    # /'
  show "$WORK/g.err"
fi
[ "$VERBOSE" = 1 ] && show "$WORK/g.out"
grep -q '"info_kind":"bond","info_data":{"mode":"active-backup"' "$WORK/g.out" &&
  grep -q '"miimon":100' "$WORK/g.out" &&
  ok "ip -j -d link show output reached the host (bond0 mode, miimon)" ||
  nok "ip -j -d link show output reached the host"
grep -q '^mode=active-backup 1$' "$WORK/g.out" && ok "sysfs bonding/* readable" || nok "sysfs bonding/* readable"
grep -q '^\[uml\] booted in .*; exit 0 in ' "$WORK/g.err" &&
  ok "timing line: $(grep '^\[uml\] booted' "$WORK/g.err")" || nok "timing line on stderr"
grep -o '^guest kernel: .*' "$WORK/g.out" | sed 's/^/# /'

# 2. Exit statuses, streams, arguments, cwd, environment --------------------
NODE_TEST_CONTEXT=child-v8 NODENET_SELFTEST_VAR='a b $c' "$BOOT" -q --cwd "$HERE/bin" --env EXTRA_VAR=xy -- bash -c '
  printf "<%s>" "$@"; echo
  echo "cwd=$PWD"
  echo "env=$NODENET_SELFTEST_VAR|$EXTRA_VAR|$NODENET_UML|${NODE_TEST_CONTEXT-unset}"
  echo "to-stderr" >&2
  seq 1 200000 | md5sum >&2
  seq 1 200000
  exit 7' arg0 'two words' '$HOME' "it's" '' '*' >"$WORK/s.out" 2>"$WORK/s.err"
rc=$?
[ $rc -eq 7 ] && ok "exit status 7 passed through" || nok "exit status 7 passed through (got $rc)"
[ "$(head -1 "$WORK/s.out")" = "<two words><\$HOME><it's><><*>" ] &&
  ok "arguments survive quoting" || nok "arguments survive quoting: $(head -1 "$WORK/s.out")"
grep -qx "cwd=$HERE/bin" "$WORK/s.out" && ok "--cwd" || nok "--cwd: $(grep cwd= "$WORK/s.out")"
grep -qx 'env=a b $c|xy|1|unset' "$WORK/s.out" && ok "NODENET_* and --env passed, NODE_TEST_CONTEXT not" ||
  nok "environment: $(grep env= "$WORK/s.out")"
want=$(seq 1 200000 | md5sum)
if [ "$(tail -n +4 "$WORK/s.out" | md5sum)" = "$want" ] && grep -qx "$want" "$WORK/s.err" &&
  grep -qx to-stderr "$WORK/s.err" && ! grep -q $'\r' "$WORK/s.out" "$WORK/s.err" &&
  ! grep -q to-stderr "$WORK/s.out"; then
  ok "stdout/stderr separate, intact, no CR (1.3 MB)"
else
  nok "stdout/stderr separate, intact, no CR"
  show "$WORK/s.err"
fi
"$BOOT" -q -- false && nok "false returns non-zero" || { rc=$?; [ $rc -eq 1 ] && ok "false -> 1" || nok "false -> $rc"; }
"$BOOT" -q -- /nonexistent/cmd 2>"$WORK/e.err"
rc=$?
[ $rc -eq 127 ] && ok "missing command -> 127" || nok "missing command -> $rc"

# 3. Nothing leaks to the host from inside the guest -----------------------
"$BOOT" -q --env MARK="$MARK" -- bash -c '
  set -e
  ip netns add nodenet-leak-test
  mkdir -p /etc/netns/nodenet-leak-test
  printf "nameserver 192.0.2.53\n# %s\n" "$MARK" >/etc/netns/nodenet-leak-test/resolv.conf
  ip netns exec nodenet-leak-test cat /etc/resolv.conf
  echo "# $MARK" >>/etc/resolv.conf
  echo "$MARK" >/etc/hostname
  mkdir -p /etc/iproute2 && echo "200 $MARK" >>/etc/iproute2/rt_tables
  echo "$MARK" >>/var/lib/misc/dnsmasq.leases
  echo "$MARK" >>/var/lib/dhcp/dhclient.leases
  ip netns list
  ls /run/netns' >"$WORK/l.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qx 'nameserver 192.0.2.53' "$WORK/l.out" &&
  ok "guest wrote /run/netns, /etc/netns, /etc/resolv.conf, /var/lib/misc" ||
  { nok "guest leak-test commands (exit $rc)"; show "$WORK/l.out"; }

# 4. Timeout and signals ----------------------------------------------------
t0=$EPOCHSECONDS
"$BOOT" --timeout 20 -- sleep 1000 2>"$WORK/t.err"
rc=$?
dt=$((EPOCHSECONDS - t0))
[ $rc -eq 124 ] && [ $dt -lt 30 ] && ok "--timeout 20 -> 124 after ${dt}s" ||
  { nok "--timeout 20 -> $rc after ${dt}s"; show "$WORK/t.err"; }
grep -q 'TIMEOUT' "$WORK/t.err" && ok "timeout message" || nok "timeout message"
no_uml_left && ok "no linux.uml process left after timeout" ||
  nok "linux.uml processes left after timeout: $(uml_procs | tr '\n' ' ')"

# SIGINT as from Ctrl-C.  (Job control on: without it, bash starts background
# jobs with SIGINT ignored, and an ignored signal cannot be trapped.)
set -m
"$BOOT" --timeout 60 -- sleep 1000 2>"$WORK/i.err" &
pid=$!
set +m
sleep 5
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc -eq 130 ] && ok "SIGINT -> 130" || { nok "SIGINT -> $rc"; show "$WORK/i.err"; }
no_uml_left && ok "no linux.uml process left after SIGINT" ||
  nok "linux.uml processes left after SIGINT: $(uml_procs | tr '\n' ' ')"

# 5. Two guests at once -------------------------------------------------------
"$BOOT" -q -- sh -c 'sleep 1; echo one' >"$WORK/p1" 2>&1 &
p1=$!
"$BOOT" -q -- sh -c 'sleep 1; echo two' >"$WORK/p2" 2>&1 &
p2=$!
wait $p1 && wait $p2 && [ "$(cat "$WORK/p1")" = one ] && [ "$(cat "$WORK/p2")" = two ] &&
  ok "two guests in parallel" || { nok "two guests in parallel"; show "$WORK/p1"; show "$WORK/p2"; }

# 6. Host unchanged ---------------------------------------------------------
no_uml_left && ok "no linux.uml process left" || nok "linux.uml processes left: $(uml_procs | tr '\n' ' ')"
host_snapshot >"$WORK/after"
leaks >"$WORK/leaks"
if [ -s "$WORK/leaks" ]; then
  nok "the guest left things on the host"
  show "$WORK/leaks"
else
  ok "nothing of the guest's on the host: ip netns, /run/netns, /etc/netns, /etc, /var/lib/misc, /var/lib/dhcp"
fi
if diff -u "$WORK/before" "$WORK/after" >"$WORK/diff"; then
  ok "host unchanged: /etc files, test/uml, no harness files in the repo, harness cache empty"
else
  nok "host changed"
  show "$WORK/diff"
fi

echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
