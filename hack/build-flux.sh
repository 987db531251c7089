#!/usr/bin/env bash
# Build the pinned Flux controllers from the Go module proxy into <root>/bin, and put their CRDs
# into bin/flux-crds/<controller>.yaml. Each controller has a tools module of its own,
# hack/tools/flux/<controller>/go.mod: it pins the release and carries upstream's replace lines,
# which differ between the two (each replaces go-digest with another commit), so one module could
# not build both as upstream does.
# Usage: hack/build-flux.sh [source-controller] [helm-controller]   (default: both)
# A binary is rebuilt only if missing or if the version of the controller module recorded in its
# build information differs from the pin; the CRDs are copied again when their header names
# another version.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin
crds=$bin/flux-crds

# Run go in a controller's tools module, without the caller's GOFLAGS, so only its go.mod/go.sum
# count.
gox() { local c=$1; shift; (cd "$root/hack/tools/flux/$c" && GOFLAGS='' go "$@"); }

# The module path and pinned version of a controller.
module_of() { echo "github.com/fluxcd/$1"; }
pin_of() { gox "$1" list -m -f '{{.Version}}' "$(module_of "$1")"; }

# The version of the controller module a built binary was built from: its build information
# names the module of the main package (`mod` line), not the tools module that built it.
version_of() {
  [[ -x $bin/$1 ]] || return 0
  go version -m "$bin/$1" 2>/dev/null | awk -v m="$(module_of "$1")" '$1 == "mod" && $2 == m { print $3; exit }'
}

# copy_crds writes the controller's CRDs (config/crd/bases of its module, as its release's
# <controller>.crds.yaml holds them) into one file, headed by the module and version.
copy_crds() { # controller version
  local c=$1 v=$2 dir out
  out=$crds/$c.yaml
  if [[ -f $out && $(head -n 1 "$out") == "# $(module_of "$c") $v" ]]; then
    return 0
  fi
  dir=$(gox "$c" mod download -json "$(module_of "$c")@$v" | awk -F'"' '$2 == "Dir" { print $4 }')
  mkdir -p "$crds"
  {
    echo "# $(module_of "$c") $v"
    echo "# The CustomResourceDefinitions of config/crd/bases, copied by hack/build-flux.sh."
    for f in "$dir"/config/crd/bases/*.yaml; do
      echo "---"
      cat "$f"
    done
  } >"$out.tmp"
  mv "$out.tmp" "$out"
}

[[ $# -gt 0 ]] || set -- source-controller helm-controller
for c in "$@"; do
  case $c in
  source-controller | helm-controller) ;;
  *)
    echo "unknown controller: $c (want: source-controller helm-controller)" >&2
    exit 2
    ;;
  esac
  start=$EPOCHREALTIME
  pin=$(pin_of "$c")
  if [[ $(version_of "$c") == "$pin" ]]; then
    state=cached
  else
    mkdir -p "$bin"
    tmp=$(mktemp -d "$bin/.build-$c.XXXXXX") # inside bin/ so the final mv is atomic
    trap 'rm -rf "$tmp"' EXIT
    # As upstream's Dockerfile builds it: CGO_ENABLED=0, -trimpath, no ldflags (its -a only
    # defeats the build cache).
    CGO_ENABLED=0 gox "$c" build -trimpath -o "$tmp/$c" "$(module_of "$c")"
    mv "$tmp/$c" "$bin/$c"
    rm -rf "$tmp"
    state=built
  fi
  copy_crds "$c" "$pin"
  awk -v t="$c" -v v="$(version_of "$c")" -v s="$state" -v a="$start" -v b="$EPOCHREALTIME" \
    'BEGIN { printf "%-18s %-8s %-6s %6.1fs\n", t, v, s, b - a }'
done
