#!/bin/sh
# Run by the handler DaemonSet's init container (as CNI plugins install
# themselves): copies a self-contained nodenet — its sources, dependencies and
# its own Node runtime — to the host's /opt/nodenet and enables
# nodenet-boot.service, so the node's network comes back at boot without the
# cluster. HOST is where the host's root is mounted (default /host).
set -eu
HOST=${HOST:-/host}
src=${NODENET_SRC:-/opt/nodenet}
dst="$HOST/opt/nodenet"
tmp="$dst.new.$$"
rm -rf "$tmp"
mkdir -p "$tmp/node_modules/node/bin"
cp -a "$src/bin" "$src/src" "$src/package.json" "$tmp/"
cp -a "$src/node_modules/." "$tmp/node_modules/"
# bin/nodenet runs node_modules/node/bin/node first: the host needs no Node of its own.
cp "$(command -v node)" "$tmp/node_modules/node/bin/node"
# Swap in the new copy whole: a boot never sees half of one.
rm -rf "$dst.old"
[ -d "$dst" ] && mv "$dst" "$dst.old"
mv "$tmp" "$dst"
rm -rf "$dst.old"
unit=nodenet-boot.service
mkdir -p "$HOST/etc/systemd/system/network-online.target.wants" "$HOST/etc/systemd/system/multi-user.target.wants" "$HOST/etc/nodenet"
cp "$src/deploy/systemd/$unit" "$HOST/etc/systemd/system/$unit.tmp"
mv "$HOST/etc/systemd/system/$unit.tmp" "$HOST/etc/systemd/system/$unit"
# What 'systemctl enable' does, without needing the host's systemd from a container.
for target in network-online.target multi-user.target; do
  ln -sf "../$unit" "$HOST/etc/systemd/system/$target.wants/$unit"
done
echo "nodenet installed to $dst; $unit enabled (records in /etc/nodenet)"
