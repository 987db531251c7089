#!/usr/bin/env bash
# CPU and allocation profile of Renderer.Render (overlay enabled) on the
# generated 10,000-document stream, summarised with go tool pprof -top.
#
# Usage: hack/bench/profile.sh [OUTDIR]   (default ${TMPDIR:-/tmp}/debug-overlay-profile)
# Environment: BENCH (default ^BenchmarkRender$/^enabled$/^docs=10000$), BENCHTIME (default 3x)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-${TMPDIR:-/tmp}/debug-overlay-profile}
BENCH=${BENCH:-'^BenchmarkRender$/^enabled$/^docs=10000$'}
BENCHTIME=${BENCHTIME:-3x}
mkdir -p "$out"
cd "$root"

echo "uptime: $(uptime)"
go test ./generator/ -run '^$' -bench "$BENCH" -benchtime "$BENCHTIME" -benchmem \
  -cpuprofile "$out/cpu.out" -memprofile "$out/mem.out" -o "$out/generator.test"
echo "uptime: $(uptime)"
echo
echo "### CPU, flat"
go tool pprof -top -nodecount 15 "$out/generator.test" "$out/cpu.out" 2>/dev/null
echo
echo "### CPU, cumulative"
go tool pprof -top -cum -nodecount 40 "$out/generator.test" "$out/cpu.out" 2>/dev/null | tail -n +6
echo
echo "### Allocated bytes, flat"
go tool pprof -sample_index=alloc_space -top -nodecount 12 "$out/generator.test" "$out/mem.out" 2>/dev/null | tail -n +5
