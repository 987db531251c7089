#!/usr/bin/env bash
# Install the Debian packages the tests run for real: busybox-static (the shell
# that runs the generated copy script), etcd-server (behind the real
# kube-apiserver of test/cluster), postgresql and openssh-client (programs
# that refuse key files with loose modes, run on the copies by test/keyfiles),
# and gnupg and gpgv (gpg makes the throw-away signing keys of test/release,
# gpgv checks the signature of checksums.txt).
set -euo pipefail

pkgs=(busybox-static etcd-server postgresql openssh-client gnupg gpgv)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
