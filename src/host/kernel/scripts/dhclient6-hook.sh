#!/bin/sh
# dhclient -6 event script for nodenet (DHCPv6, IA_NA addresses). dhclient
# runs inside the target namespace, so every `ip` here acts there. Settings
# come from the environment nodenet starts dhclient with (see udhcpc-hook.sh):
#   NODENET_DYNAMIC_DIR, NODENET_STATE_DIR, NODENET_RESOLV, NODENET_COMPOSE, NODENET_AUTO_DNS
# The default route of IPv6 comes from router advertisements, not DHCPv6.
set -u
dir=$NODENET_DYNAMIC_DIR
leasefile="$dir/$interface.lease6"
dnsfile="$dir/$interface.v6.dns"

compose() { "$NODENET_COMPOSE" "$NODENET_STATE_DIR" "$NODENET_RESOLV" || true; }

forget() {
  if [ -f "$leasefile" ]; then
    . "$leasefile"
    ip -6 address del "$LEASE_IP/$LEASE_PREFIX" dev "$interface" 2>/dev/null
    rm -f "$leasefile"
  fi
  if [ -f "$dnsfile" ]; then rm -f "$dnsfile"; compose; fi
}

case "$reason" in
  PREINIT6)
    ip link set dev "$interface" up
    ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "${old_ip6_address:-}" ] && [ "${old_ip6_address:-}" != "${new_ip6_address:-}" ]; then
      ip -6 address del "$old_ip6_address/${old_ip6_prefixlen:-128}" dev "$interface" 2>/dev/null
    fi
    if [ -n "${new_ip6_address:-}" ]; then
      ip -6 address replace "$new_ip6_address/${new_ip6_prefixlen:-128}" dev "$interface" \
        valid_lft "${new_max_life:-3600}" preferred_lft "${new_preferred_life:-3600}"
    fi
    if [ "${NODENET_AUTO_DNS:-1}" = 1 ]; then
      {
        for server in ${new_dhcp6_name_servers:-}; do echo "nameserver $server"; done
        if [ -n "${new_dhcp6_domain_search:-}" ]; then echo "search $new_dhcp6_domain_search"; fi
      } > "$dnsfile.tmp" && mv "$dnsfile.tmp" "$dnsfile"
      compose
    fi
    # The lease file last: nodenet counts the lease as held once it exists, so the address
    # and resolver must be in place by then (its probes run right after).
    if [ -n "${new_ip6_address:-}" ]; then
      tmp="$leasefile.tmp"
      printf 'LEASE_IP=%s\nLEASE_PREFIX=%s\n' "$new_ip6_address" "${new_ip6_prefixlen:-128}" > "$tmp" && mv "$tmp" "$leasefile"
    fi
    ;;
  EXPIRE6|RELEASE6|STOP6|FAIL6)
    forget
    ;;
esac
exit 0
