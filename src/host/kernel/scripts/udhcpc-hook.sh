#!/bin/sh
# udhcpc event script for nodenet (DHCPv4). udhcpc runs inside the target
# namespace, so every `ip` here acts there. Settings come from the environment
# nodenet starts udhcpc with:
#   NODENET_DYNAMIC_DIR  per-target dynamic state (lease, learned DNS)
#   NODENET_STATE_DIR    per-target state dir (for resolver composition)
#   NODENET_RESOLV       resolver file to rewrite
#   NODENET_AUTO_GATEWAY, NODENET_AUTO_ROUTES, NODENET_AUTO_DNS  (1/0)
#   NODENET_TABLE, NODENET_METRIC  route table and metric for learned routes
#   NODENET_COMPOSE      path of resolv-compose.sh
set -u
dir=$NODENET_DYNAMIC_DIR
leasefile="$dir/$interface.lease"
dnsfile="$dir/$interface.dns"
table=${NODENET_TABLE:-254}
metric=${NODENET_METRIC:-100}

compose() { "$NODENET_COMPOSE" "$NODENET_STATE_DIR" "$NODENET_RESOLV" || true; }

forget() {
  if [ -f "$leasefile" ]; then
    . "$leasefile"
    ip address del "$LEASE_IP/$LEASE_PREFIX" dev "$interface" 2>/dev/null
    rm -f "$leasefile"
  fi
  if [ -f "$dnsfile" ]; then rm -f "$dnsfile"; compose; fi
}

case "$1" in
  deconfig|leasefail|nak)
    [ "$1" = deconfig ] && forget
    ;;
  bound|renew)
    prefix=${mask:-24}
    if [ -f "$leasefile" ]; then
      . "$leasefile"
      if [ "$LEASE_IP/$LEASE_PREFIX" != "$ip/$prefix" ]; then ip address del "$LEASE_IP/$LEASE_PREFIX" dev "$interface" 2>/dev/null; fi
    fi
    ip address replace "$ip/$prefix" dev "$interface" valid_lft "${lease:-forever}" preferred_lft "${lease:-forever}"
    gateway=""
    if [ "${NODENET_AUTO_GATEWAY:-1}" = 1 ] && [ -n "${router:-}" ]; then
      gateway=${router%% *}
      ip route replace default via "$gateway" dev "$interface" proto dhcp table "$table" metric "$metric"
    fi
    if [ "${NODENET_AUTO_ROUTES:-1}" = 1 ] && [ -n "${staticroutes:-}" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        ip route replace "$1" via "$2" dev "$interface" proto dhcp table "$table" metric "$metric"
        shift 2
      done
    fi
    if [ "${NODENET_AUTO_DNS:-1}" = 1 ]; then
      {
        for server in ${dns:-}; do echo "nameserver $server"; done
        if [ -n "${search:-}${domain:-}" ]; then echo "search ${search:-${domain:-}}"; fi
      } > "$dnsfile.tmp" && mv "$dnsfile.tmp" "$dnsfile"
      compose
    fi
    # The lease file last: nodenet counts the lease as held once it exists, so the address,
    # routes and resolver must all be in place by then (its probes run right after).
    tmp="$leasefile.tmp"
    printf 'LEASE_IP=%s\nLEASE_PREFIX=%s\nLEASE_ROUTER=%s\n' "$ip" "$prefix" "$gateway" > "$tmp" && mv "$tmp" "$leasefile"
    ;;
esac
exit 0
