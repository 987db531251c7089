#!/usr/bin/env bash
# Build the pinned geth (go-ethereum) from the Go module proxy into <root>/bin/geth,
# for the seed-scenario test (test/geth, `make e2e-geth`).
# Usage: hack/build-geth.sh
# Rebuilt only when bin/geth is missing or `bin/geth version` does not report the pin.
# Tries CGO_ENABLED=0 first (geth then signs with its pure-Go secp256k1) and falls back
# to cgo only if that build fails.
set -euo pipefail

GETH_VERSION=${GETH_VERSION:-v1.17.10}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin
pkg=github.com/ethereum/go-ethereum/cmd/geth

# Run go outside this repository, without its GOFLAGS, so only upstream's go.mod/go.sum count.
gox() { (cd / && GOFLAGS='' go "$@"); }

# `geth version` prints "Version: 1.17.10-stable"; the pin has a leading v. The
# output is read whole first: `geth version | grep -q` fails under pipefail
# whenever grep exits before geth has written its last line (SIGPIPE).
have_pin() {
  local out
  [[ -x $bin/geth ]] && out=$("$bin/geth" version 2>/dev/null) &&
    grep -qx "Version: ${GETH_VERSION#v}-stable" <<<"$out"
}

start=$EPOCHREALTIME
if have_pin; then
  state=cached
else
  mkdir -p "$bin"
  tmp=$(mktemp -d "$bin/.build-geth.XXXXXX") # inside bin/ so the final mv is atomic
  trap 'rm -rf "$tmp"' EXIT
  state=built
  if ! GOBIN=$tmp CGO_ENABLED=0 gox install -trimpath -ldflags '-s -w' "$pkg@$GETH_VERSION"; then
    echo "build-geth: CGO_ENABLED=0 build failed; retrying with cgo" >&2
    GOBIN=$tmp CGO_ENABLED=1 gox install -trimpath -ldflags '-s -w' "$pkg@$GETH_VERSION"
    state=built-cgo
  fi
  mv "$tmp/geth" "$bin/geth"
  rm -rf "$tmp"
  if ! have_pin; then
    echo "build-geth: $bin/geth does not report version ${GETH_VERSION#v}:" >&2
    "$bin/geth" version >&2 || true
    exit 1
  fi
fi
awk -v v="$GETH_VERSION" -v s="$state" -v a="$start" -v b="$EPOCHREALTIME" \
  'BEGIN { printf "%-10s %-8s %-9s %6.1fs\n", "geth", v, s, b - a }'
