#!/usr/bin/env bash
# Push the toggle chart and the example charts to an OCI registry, as `helm push` does: the
# toggle chart to oci://REGISTRY, then each example with its dependency on the toggle chart
# pointing at oci://REGISTRY instead of file:// (Chart.yaml is rewritten in a copy; the checkout
# is not touched), its dependencies built from the registry, packaged and pushed beside it.
# Usage: hack/push-charts.sh --registry HOST[:PORT]/PATH [--plain-http] [--out DIR]
#   --registry    where the charts go: oci://HOST[:PORT]/PATH/<chart>:<version>
#   --plain-http  talk plain HTTP to the registry (a local one: Helm has no localhost exception)
#   --out         keep the packages in DIR (default: a temporary directory)
# Helm is $HELM, else bin/helm3 (`make tools`); its registry login, if one is needed, is Helm's.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
registry= plain=() out=
while [[ $# -gt 0 ]]; do
  case $1 in
  --registry) registry=${2#oci://}; shift 2 ;;
  --plain-http) plain=(--plain-http); shift ;;
  --out) out=$2; shift 2 ;;
  *) echo "push-charts: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z $registry ]]; then
  echo "push-charts: --registry HOST[:PORT]/PATH is required" >&2
  exit 2
fi
helm=${HELM:-$root/bin/helm3}
if [[ ! -x $helm ]]; then
  echo "push-charts: $helm is missing: run \`make tools\` (or set HELM)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${out:-$tmp/out}
mkdir -p "$out" "$tmp/charts"
(cd "$root" && tar --exclude='charts/examples/*/charts' --exclude='charts/examples/*/Chart.lock' -cf - charts) |
  tar -xf - -C "$tmp"

push() { # chart directory
  local pkg
  pkg=$("$helm" package "$1" --destination "$out" | sed -n 's/^Successfully packaged chart and saved it to: //p')
  "$helm" push "$pkg" "oci://$registry" "${plain[@]}" 2>&1 | sed 's/^/push-charts: /'
}

push "$tmp/charts/debug-overlay"
for d in "$tmp"/charts/examples/*/; do
  d=${d%/}
  # The dependency named debug-overlay comes from the registry now.
  awk -v repo="oci://$registry" '
    /^dependencies:/ { deps = 1 }
    deps && /^  - name: / { dep = $3 }
    deps && dep == "debug-overlay" && /^    repository: / { print "    repository: " repo; next }
    { print }' "$d/Chart.yaml" >"$d/Chart.yaml.new"
  mv "$d/Chart.yaml.new" "$d/Chart.yaml"
  "$helm" dependency build "$d" "${plain[@]}" >/dev/null
  push "$d"
done
