#!/usr/bin/env bash
# Install the Debian packages a real single-node Kubernetes runs on, for
# test/node and `make e2e-cluster`: containerd and runc (the container
# runtime), the CNI plugins (bridge, host-local, loopback), busybox-static and
# bash-static (the rootfs of the test images, hack/images), iproute2 (the
# node's bridge) and etcd-server. A package is installed only if missing.
# Usage: hack/node-deps.sh
set -euo pipefail

pkgs=(containerd runc containernetworking-plugins busybox-static bash-static iproute2 etcd-server)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "node-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

# The packages' maintainer scripts must not start a system containerd or
# etcd: the harness runs its own, by PID, in temporary directories. A
# policy-rc.d that says no (101) is the Debian way to ask for that; one made
# here is removed again.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

start=$EPOCHREALTIME
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
awk -v p="${missing[*]}" -v a="$start" -v b="$EPOCHREALTIME" \
  'BEGIN { printf "node-deps: installed %s in %.1fs\n", p, b - a }'
