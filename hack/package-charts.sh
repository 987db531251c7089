#!/usr/bin/env bash
# Package the toggle chart and the example charts, with their dependencies inside, and write a
# Helm repository index next to them: a directory any static web server can serve as a chart
# repository (Flux's HelmRepository, `helm repo add`).
# Usage: hack/package-charts.sh [--out DIR] [--url URL] [EXTRA_CHART_DIR...]
#   --out  the repository directory (default dist/charts); its .tgz files and index.yaml are
#          replaced, nothing else in it is touched
#   --url  the URL the repository will be served at; default none, so that the index holds
#          relative chart URLs, which Helm and Flux resolve against the repository's URL
#   EXTRA_CHART_DIR  more charts to package into the same repository (tests add theirs), without
#          dependencies
# Charts are packaged from a copy, so nothing is written into the checkout but --out. Helm is
# $HELM, else bin/helm3 (`make tools`).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/dist/charts
url=
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
  --out) out=$2; shift 2 ;;
  --url) url=$2; shift 2 ;;
  -*) echo "package-charts: unknown flag $1" >&2; exit 2 ;;
  *) extra+=("$(cd "$1" && pwd)"); shift ;;
  esac
done
helm=${HELM:-$root/bin/helm3}
if [[ ! -x $helm ]]; then
  echo "package-charts: $helm is missing: run \`make tools\` (or set HELM)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy of charts/, keeping the layout the examples' file:// dependencies rely on, without what
# `helm dependency build` left in the checkout (it is made again from the sources).
mkdir -p "$tmp/charts"
(cd "$root" && tar --exclude='charts/examples/*/charts' --exclude='charts/examples/*/Chart.lock' -cf - charts) |
  tar -xf - -C "$tmp"
dirs=("$tmp/charts/debug-overlay" "$tmp"/charts/examples/*/ "${extra[@]}")

mkdir -p "$out"
rm -f "$out"/*.tgz "$out/index.yaml"
for d in "${dirs[@]}"; do
  d=${d%/}
  if grep -q '^dependencies:' "$d/Chart.yaml"; then
    if [[ $d != "$tmp"/* ]]; then
      echo "package-charts: $d has dependencies; only the charts of charts/ may have them" >&2
      exit 1
    fi
    "$helm" dependency build "$d" >/dev/null
  fi
  "$helm" package "$d" --destination "$out" >/dev/null
done
"$helm" repo index "$out" ${url:+--url "$url"}
for f in "$out"/*.tgz; do echo "package-charts: $f"; done
echo "package-charts: $out/index.yaml"
