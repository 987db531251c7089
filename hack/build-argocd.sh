#!/usr/bin/env bash
# Build Argo CD v3.5.1's Config Management Plugin server, bin/argocd-cmp-server, and our test
# client for it, bin/argocd-cmp-client, from Argo CD's source.
#
# Argo CD cannot be a Go module dependency: its go.mod replaces the nested gitops-engine module,
# which the module proxy does not serve. So the source comes from the archive beside the project
# root, ../shared/vendor/argo-cd-v3.5.1-src.tar.gz, checked against ../shared/vendor/SHA256SUMS
# (ARGOCD_VENDOR names another directory holding both), or from a clone of tag v3.5.1
# (ARGOCD_SRC_DIR), checked to be the tag's commit. Inside that tree Argo CD builds, its other
# dependencies from the proxy. Our two mains, hack/argocd/{cmp-server,cmpclient}/main.go, are
# copied into the tree and built there: the server runs Argo CD's cmp-server command alone, the
# client speaks the plugin API with Argo CD's own client code (see its doc comment).
#
# Usage: hack/build-argocd.sh
# A binary is rebuilt only if missing or if `<binary> version` differs from the pin: Argo CD's
# version, and a digest of our main.go.
set -euo pipefail

ARGOCD_VERSION=v3.5.1
ARGOCD_COMMIT=109ca7ca71139e514114499d294a492e7910a965
ARCHIVE=argo-cd-${ARGOCD_VERSION}-src.tar.gz

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin
vendor=${ARGOCD_VENDOR:-$root/../shared/vendor}

# The stamp of one of our mains: the first 12 hex digits of its sha256.
stamp_of() { sha256sum "$root/hack/argocd/$1/main.go" | cut -c1-12; }

declare -A main=([argocd-cmp-server]=cmp-server [argocd-cmp-client]=cmpclient)
todo=()
for tool in argocd-cmp-server argocd-cmp-client; do
  want="$ARGOCD_VERSION $(stamp_of "${main[$tool]}")"
  if [[ -x $bin/$tool && $("$bin/$tool" version 2>/dev/null) == "$want" ]]; then
    printf '%-18s %-8s %-6s %6.1fs\n' "$tool" "$ARGOCD_VERSION" cached 0
  else
    todo+=("$tool")
  fi
done
[[ ${#todo[@]} -gt 0 ]] || exit 0

start=$EPOCHREALTIME
# The source tree, extracted once into bin/ (git-ignored) and kept for the next build.
if [[ -n ${ARGOCD_SRC_DIR:-} ]]; then
  src=$ARGOCD_SRC_DIR
  commit=$(git -C "$src" rev-parse HEAD)
  if [[ $commit != "$ARGOCD_COMMIT" ]]; then
    echo "build-argocd: $src is at $commit, not $ARGOCD_VERSION ($ARGOCD_COMMIT)" >&2
    exit 1
  fi
else
  archive=$vendor/$ARCHIVE
  if [[ ! -f $archive || ! -f $vendor/SHA256SUMS ]]; then
    echo "build-argocd: $archive and $vendor/SHA256SUMS are needed (or ARGOCD_SRC_DIR, a clone of tag $ARGOCD_VERSION)" >&2
    exit 1
  fi
  sum=$(awk -v f="$ARCHIVE" '$2 == f || $2 == "*" f { print $1 }' "$vendor/SHA256SUMS")
  if [[ -z $sum ]]; then
    echo "build-argocd: $vendor/SHA256SUMS has no line for $ARCHIVE" >&2
    exit 1
  fi
  src=$bin/.argocd-src/argo-cd-${ARGOCD_VERSION#v}
  if [[ ! -f $src/.sha256 || $(cat "$src/.sha256") != "$sum" ]]; then
    got=$(sha256sum "$archive" | cut -d' ' -f1)
    if [[ $got != "$sum" ]]; then
      echo "build-argocd: $archive has sha256 $got, SHA256SUMS says $sum: refusing it" >&2
      exit 1
    fi
    rm -rf "$bin/.argocd-src"
    mkdir -p "$bin/.argocd-src"
    tar -xzf "$archive" -C "$bin/.argocd-src"
    if [[ ! -f $src/go.mod ]]; then
      echo "build-argocd: $archive did not hold argo-cd-${ARGOCD_VERSION#v}/go.mod" >&2
      exit 1
    fi
    echo "$sum" >"$src/.sha256"
  fi
fi

# As Argo CD's Makefile stamps a release (common.version and friends), -s -w and -trimpath so the
# binary is small and stripped; CGO_ENABLED=0 as its image builds it (a static binary that runs in
# any image).
pkg=github.com/argoproj/argo-cd/v3/common
ldflags="-s -w -X $pkg.version=${ARGOCD_VERSION#v} -X $pkg.gitCommit=$ARGOCD_COMMIT -X $pkg.gitTag=$ARGOCD_VERSION -X $pkg.gitTreeState=clean"
mkdir -p "$bin"
tmp=$(mktemp -d "$bin/.build-argocd.XXXXXX") # inside bin/ so the final mv is atomic
trap 'rm -rf "$tmp"' EXIT
for tool in "${todo[@]}"; do
  dir=$src/hack/debug-overlay/${main[$tool]}
  mkdir -p "$dir"
  cp "$root/hack/argocd/${main[$tool]}/main.go" "$dir/main.go"
  (cd "$src" && GOFLAGS='-buildvcs=false' CGO_ENABLED=0 go build -trimpath \
    -ldflags "$ldflags -X main.stamp=$(stamp_of "${main[$tool]}")" -o "$tmp/$tool" "./hack/debug-overlay/${main[$tool]}")
  mv "$tmp/$tool" "$bin/$tool"
  awk -v t="$tool" -v v="$("$bin/$tool" version | cut -d' ' -f1)" -v a="$start" -v b="$EPOCHREALTIME" \
    'BEGIN { printf "%-18s %-8s %-6s %6.1fs\n", t, v, "built", b - a }'
  start=$EPOCHREALTIME
done
