#!/usr/bin/env bash
# Render the geth example with the real helm, toggle off and on, and show the
# difference the overlay makes. Run through `make demo`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
helm=$root/bin/helm3
overlay=$root/bin/debug-overlay
chart=$root/charts/examples/geth
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A stand-in key file, so the Secret has a key (the real one comes from
# `geth account new`; `make e2e-geth` uses one).
printf '{"address":"0000000000000000000000000000000000000000","crypto":{},"version":3}\n' >"$out/key"
key=UTC--2026-11-27T00-00-00.000000000Z--0000000000000000000000000000000000000000
key=${key//./\\.} # --set-file splits keys at dots

render() {
  "$helm" template geth "$chart" --set-file "keystore.files.$key=$out/key" \
    --post-renderer "$overlay" --set "debug-overlay.enabled=$1"
}

echo "== helm template geth charts/examples/geth --post-renderer bin/debug-overlay --set debug-overlay.enabled=false"
render false >"$out/off.yaml"
"$helm" template geth "$chart" --set-file "keystore.files.$key=$out/key" >"$out/plain.yaml"
if cmp -s "$out/off.yaml" "$out/plain.yaml"; then
  echo "   toggle off: byte for byte the chart's own output ($(wc -l <"$out/off.yaml") lines)"
else
  echo "   toggle off differs from the chart's own output" >&2
  exit 1
fi

echo
echo "== the same with --set debug-overlay.enabled=true: what changed"
render true >"$out/on.yaml"
diff -u --label toggle-off --label toggle-on "$out/off.yaml" "$out/on.yaml" || true

echo
echo "== debug-overlay explain"
"$helm" template geth "$chart" --set-file "keystore.files.$key=$out/key" --set debug-overlay.enabled=true |
  "$overlay" explain

echo
echo "== toggle off again: debug-overlay strip gives back the original objects"
"$overlay" strip <"$out/on.yaml" >"$out/stripped.yaml"
diff -u --label original --label stripped "$out/off.yaml" "$out/stripped.yaml" && echo "   identical" ||
  echo "   (only formatting differs inside the overlaid documents)"
