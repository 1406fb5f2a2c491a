#!/bin/sh
# Writes a resolv.conf from nodenet's static DNS configuration and what DHCP
# clients learned, static first (as nmstate does). Used by nodenet's apply and
# by the DHCP hook, so there is one composition for both.
#   resolv-compose.sh STATE_DIR OUTPUT
# STATE_DIR/dns.static and STATE_DIR/dynamic/*.dns hold lines
#   nameserver ADDR | search DOMAIN | options OPT
set -eu
dir=$1
out=$2
mkdir -p "$(dirname "$out")"
tmp="$out.nodenet.$$"
{
  echo "# written by nodenet; changes are overwritten"
  cat "$dir/dns.static" "$dir"/dynamic/*.dns 2>/dev/null | awk '
    $1 == "nameserver" && !seen[$2]++ { servers[n++] = $2 }
    $1 == "search" { for (i = 2; i <= NF; i++) if (!sdone[$i]++) search = search " " $i }
    $1 == "options" { for (i = 2; i <= NF; i++) if (!odone[$i]++) options = options " " $i }
    END {
      for (i = 0; i < n; i++) print "nameserver " servers[i]
      if (search != "") print "search" search
      if (options != "") print "options" options
    }'
} > "$tmp"
# In place, not rename: inside `ip netns exec` the file is a bind mount, which cannot be replaced.
cat "$tmp" > "$out"
rm -f "$tmp"
