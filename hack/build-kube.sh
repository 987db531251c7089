#!/usr/bin/env bash
# Build pinned Kubernetes components from the Go module proxy into <root>/bin,
# from the separate module hack/tools/kube (its go.mod pins the release).
# Usage: hack/build-kube.sh [kube-apiserver] [kubectl] [kubelet] [kube-controller-manager] [kube-scheduler]
#        (default: kube-apiserver kubectl)
# A binary is rebuilt only if missing or if the version it reports differs from the pin.
# KUBE_GIT_COMMIT: the commit of the upstream tag; the module proxy does not record it, so by
# default gitCommit and gitTreeState stay unset, as upstream's hack/lib/version.sh leaves them
# when it does not know the commit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin
mod=$root/hack/tools/kube

# Run go in the tools module, without the caller's GOFLAGS, so only its go.mod/go.sum count.
gox() { (cd "$mod" && GOFLAGS='' go "$@"); }

KUBE_VERSION=$(gox list -m -f '{{.Version}}' k8s.io/kubernetes)
KUBE_GIT_COMMIT=${KUBE_GIT_COMMIT:-}

# As hack/lib/version.sh's kube::version::ldflags, except that buildDate is the tag's time
# rather than now, so rebuilds are identical; -s -w as hack/lib/golang.sh's non-debug builds.
kube_ldflags() {
  local date major minor key val p flags=()
  date=$(gox list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  IFS=. read -r major minor _ <<<"${KUBE_VERSION#v}"
  local -a vars=(buildDate="$date")
  [[ -z $KUBE_GIT_COMMIT ]] || vars+=(gitCommit="$KUBE_GIT_COMMIT" gitTreeState=clean)
  vars+=(gitVersion="$KUBE_VERSION" gitMajor="$major" gitMinor="$minor")
  for kv in "${vars[@]}"; do
    key=${kv%%=*} val=${kv#*=}
    for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      flags+=("-X '$p.$key=$val'")
    done
  done
  echo "all=${flags[*]} -s -w"
}

# The gitVersion a built binary reports.
version_of() {
  case $1 in
  kubectl) "$bin/kubectl" version --client -o yaml 2>/dev/null | awk '$1 == "gitVersion:" { print $2; exit }' ;;
  *) "$bin/$1" --version 2>/dev/null | awk '{ print $2 }' ;;
  esac
}

# Upstream's KUBE_STATIC_BINARIES build with CGO_ENABLED=0; kubelet keeps the default.
declare -A static=([kube-apiserver]=1 [kubectl]=1 [kube-controller-manager]=1 [kube-scheduler]=1 [kubelet]=0)

[[ $# -gt 0 ]] || set -- kube-apiserver kubectl
todo=()
for tool in "$@"; do
  if [[ ! -v static[$tool] ]]; then
    echo "unknown binary: $tool (want: ${!static[*]})" >&2
    exit 2
  fi
  if [[ -x $bin/$tool && $(version_of "$tool") == "$KUBE_VERSION" ]]; then
    printf '%-24s %-8s %-6s %6.1fs\n' "$tool" "$KUBE_VERSION" cached 0
  else
    todo+=("$tool")
  fi
done
[[ ${#todo[@]} -gt 0 ]] || exit 0

ldflags=$(kube_ldflags)
mkdir -p "$bin"
tmp=$(mktemp -d "$bin/.build-kube.XXXXXX") # inside bin/ so the final mv is atomic
trap 'rm -rf "$tmp"' EXIT
# One go build per CGO setting, so the static binaries share their compiled packages.
for cgo in 0 1; do
  pkgs=()
  for tool in "${todo[@]}"; do
    if [[ ${static[$tool]} != "$cgo" ]]; then
      pkgs+=("k8s.io/kubernetes/cmd/$tool")
    fi
  done
  [[ ${#pkgs[@]} -gt 0 ]] || continue
  start=$EPOCHREALTIME
  # Tags and -trimpath as hack/lib/golang.sh builds release binaries.
  (
    [[ $cgo == 1 ]] || export CGO_ENABLED=0
    gox build -trimpath -buildvcs=false -tags selinux,notest,grpcnotrace -ldflags "$ldflags" \
      -o "$tmp/" "${pkgs[@]}"
  )
  for p in "${pkgs[@]}"; do
    tool=${p##*/}
    mv "$tmp/$tool" "$bin/$tool"
    awk -v t="$tool" -v v="$(version_of "$tool")" -v a="$start" -v b="$EPOCHREALTIME" \
      'BEGIN { printf "%-24s %-8s %-6s %6.1fs\n", t, v, "built", b - a }'
  done
done
