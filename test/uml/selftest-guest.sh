#!/bin/bash
# Runs INSIDE the UML guest (test/uml/selftest.sh starts it through boot.sh).
# Builds, in two fresh network namespaces, the kernel features the host lacks
# and checks them:
#   A: bond0 (active-backup, miimon 100) over veth0a+veth1a, VLAN bond0.100,
#      dummy dum0 in VRF vrf-blue (table 100) with a route in that table
#   B: bridge br0 (vlan_filtering 1) with ports veth0b+veth1b, VLAN 100
#      allowed on the ports (`bridge vlan add`), br0.100 on top
# then pings A -> B untagged (over the bond) and tagged (bond0.100 -> br0.100),
# fails the active bond port over and pings again.
# Prints "ok"/"not ok" lines; exits non-zero if any check failed.
set -uo pipefail

A=nodenet-st-a
B=nodenet-st-b
fails=0
ok() { echo "guest ok - $*"; }
nok() { echo "guest not ok - $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
  local d=$1
  shift
  if "$@"; then ok "$d"; else nok "$d"; fi
}
has() { [[ $1 == *"$2"* ]]; } # has HAYSTACK NEEDLE
ping_from() { ip netns exec "$1" ping -c1 -W3 -q "$2" >/dev/null; } # NS ADDR

echo "guest kernel: $(</proc/sys/kernel/osrelease), modules: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"

ip netns add $A && ip netns add $B || { nok "ip netns add"; exit 1; }
ok "ip netns add $A $B"

# One `ip -batch` per namespace: every process spawn costs tens of ms here.
ip -batch - <<EOF || nok "ip -batch setup"
link add veth0a netns $A type veth peer name veth0b netns $B
link add veth1a netns $A type veth peer name veth1b netns $B
EOF
ip -n $A -batch - <<EOF || nok "ip -batch in $A"
link add bond0 type bond mode active-backup miimon 100
link set veth0a master bond0
link set veth1a master bond0
link set bond0 up
addr add 192.0.2.1/24 dev bond0
link add link bond0 name bond0.100 type vlan id 100
link set bond0.100 up
addr add 198.51.100.1/24 dev bond0.100
link add vrf-blue type vrf table 100
link set vrf-blue up
link add dum0 type dummy
link set dum0 master vrf-blue
link set dum0 up
addr add 203.0.113.1/25 dev dum0
route add 203.0.113.128/25 via 203.0.113.126 dev dum0 table 100
EOF
ip -n $B -batch - <<EOF || nok "ip -batch in $B"
link add br0 type bridge vlan_filtering 1
link set veth0b master br0
link set veth1b master br0
link set veth0b up
link set veth1b up
link set br0 up
addr add 192.0.2.2/24 dev br0
link add link br0 name br0.100 type vlan id 100
link set br0.100 up
addr add 198.51.100.2/24 dev br0.100
EOF
bridge -n $B -batch - <<EOF || nok "bridge -batch in $B"
vlan add dev veth0b vid 100
vlan add dev veth1b vid 100
vlan add dev br0 vid 100 self
EOF

echo "--- ip -j -d link show ($A)"
LINKS_A=$(ip -n $A -j -d link show)
echo "$LINKS_A"
echo "--- ip -j -d link show ($B)"
LINKS_B=$(ip -n $B -j -d link show)
echo "$LINKS_B"
echo "--- bridge -j vlan show ($B)"
VLANS=$(bridge -n $B -j vlan show)
echo "$VLANS"
echo "--- ip -j route show table 100 ($A)"
ROUTES=$(ip -n $A -j route show table 100)
echo "$ROUTES"

BOND=$(ip -n $A -j -d link show bond0)
check "bond0 is a bond" has "$BOND" '"info_kind":"bond"'
check "bond0 mode active-backup" has "$BOND" '"mode":"active-backup"'
check "bond0 miimon 100" has "$BOND" '"miimon":100'
check "veth0a is a bond port" has "$(ip -n $A -j -d link show veth0a)" '"info_slave_kind":"bond"'
check "veth0a enslaved to bond0" has "$(ip -n $A -j -d link show veth0a)" '"master":"bond0"'
check "bond0.100 is VLAN 100 on bond0" has "$(ip -n $A -j -d link show bond0.100)" '"protocol":"802.1Q","id":100'
check "dum0 is a dummy" has "$(ip -n $A -j -d link show dum0)" '"info_kind":"dummy"'
check "dum0 is in vrf-blue" has "$(ip -n $A -j -d link show dum0)" '"master":"vrf-blue"'
check "vrf-blue uses table 100" has "$(ip -n $A -j -d link show vrf-blue)" '"table":100'
check "route in VRF table 100" has "$ROUTES" '"dst":"203.0.113.128/25","gateway":"203.0.113.126","dev":"dum0"'
check "br0 vlan_filtering 1" has "$(ip -n $B -j -d link show br0)" '"vlan_filtering":1'
check "bridge vlan 100 on veth0b" has "$VLANS" '"ifname":"veth0b","vlans":[{"vlan":1,"flags":["PVID","Egress Untagged"]},{"vlan":100}]'

# sysfs of bond0: /sys shows the namespace of whoever mounted it, so read it
# through `ip netns exec` (which mounts a fresh sysfs for $A).
SYSFS=$(ip netns exec $A sh -c 'cd /sys/class/net/bond0/bonding && for f in mode miimon slaves active_slave; do echo "$f=$(cat $f)"; done')
echo "--- /sys/class/net/bond0/bonding ($A)"
echo "$SYSFS"
check "sysfs bonding/mode" has "$SYSFS" "mode=active-backup 1"
check "sysfs bonding/miimon" has "$SYSFS" "miimon=100"
check "sysfs bonding/slaves" has "$SYSFS" "slaves=veth0a veth1a"

# Traffic: untagged over the bond, tagged over bond0.100; then fail over.
sleep 1 # bond miimon + bridge port to forwarding
check "ping 192.0.2.2 over bond0" ping_from $A 192.0.2.2
check "ping 198.51.100.2 over bond0.100 (VLAN 100)" ping_from $A 198.51.100.2
ACTIVE=${SYSFS#*active_slave=}
ACTIVE=${ACTIVE%%$'\n'*}
ip -n $A link set "$ACTIVE" down
sleep 0.5
NEW=$(ip netns exec $A cat /sys/class/net/bond0/bonding/active_slave)
check "failover: active port $ACTIVE -> $NEW" test -n "$NEW" -a "$NEW" != "$ACTIVE"
check "ping over VLAN 100 after failover" ping_from $A 198.51.100.2

# On-demand module loading through test/uml/bin/modprobe (ipvlan is not
# preloaded by init.sh).
check "on-demand module load (ipvlan)" ip -n $A link add ipv0 link dum0 type ipvlan mode l2
check "IPv6 works (ipv6 module)" ip -n $A addr add 2001:db8::1/64 dev bond0

ip netns del $A
ip netns del $B
echo "guest: $fails failed"
[ "$fails" -eq 0 ]
