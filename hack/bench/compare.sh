#!/usr/bin/env bash
# Whole-process comparison on the same generated Helm-like streams: cat (the
# floor), bin/debug-overlay and kustomize doing the same patch (debug sidecar,
# emptyDir, init container on every workload). Wall and CPU time come from
# bash's time keyword around /usr/bin/time -v, which gives the peak RSS. Every tool's output is checked:
# cat's must equal its input; debug-overlay's and kustomize's must give every
# workload of every kind the sidecar (see `go run ./hack/bench verify`); on
# the CRD-only stream, which has no workload, debug-overlay's output must
# equal its input, enabled or not.
#
# The runs of one stream are interleaved (cat, debug-overlay, ..., cat,
# debug-overlay, ...), so a change in the machine's load hits every tool
# alike; kustomize, which takes seconds, runs after them.
#
# CPU time (user + system) is reported too: on a shared machine it moves far
# less with other people's load than wall time.
#
# Before and after: with REVS set to two (or more) git revisions, the
# post-renderer of each is built (as `make build` builds it) and the
# revisions are compared with each other, interleaved, on the same streams:
#   REVS="main HEAD" hack/bench/compare.sh            # "." is the work tree as it is
# Tools are then cat, debug-overlay@REV (--enable) and, on the CRD stream,
# debug-overlay-off@REV (no flags: the overlay disabled, the copy-through
# road); SIZES defaults to "0 100 1000 10000 50000 crds".
#
# Prints a Markdown report on stdout; raw rows go to $WORK/results.tsv, the
# outputs and checks to $WORK/<stream>/.
#
# Usage: hack/bench/compare.sh
# Environment:
#   SIZES               streams: documents per stream (default "0 100 1000 10000 50000 crds";
#                       0 is an empty stream: process start only, cat and debug-overlay;
#                       crds is the CRD-only stream, `bench gen -crds -docs 10`: 4.5 MB,
#                       no workload; cat, debug-overlay-off and debug-overlay)
#   RUNS                runs per tool and stream (default 5); 4x for 0 and 100 documents
#                       and the CRD stream, 3 for debug-overlay at >= 50,000, 1 for
#                       kustomize at >= 10,000
#   REVS                git revisions to compare with each other (see above)
#   KUSTOMIZE_MAX_DOCS  larger sizes skip kustomize (default 10000: it is quadratic)
#   KUSTOMIZE_TIMEOUT   seconds after which a kustomize run at >= 10,000 documents is
#                       stopped and recorded as "more than" (default 1800)
#   MAX_LOAD, LOAD_WAIT before each stream (and kustomize), wait up to LOAD_WAIT seconds
#                       (default 120) for the 1-minute load average to drop below
#                       MAX_LOAD (default 1.5); the load is recorded with every run
#   CALLGRIND=1         also count each tool's instructions on each stream, once, under
#                       valgrind --tool=callgrind (GODEBUG=asyncpreemptoff=1: valgrind
#                       trips over Go's preemption signals): repeatable to about 1% on a
#                       machine too busy for wall times; up to CALLGRIND_MAX_DOCS
#                       documents (default 10000)
#   WORK                scratch directory (default ${TMPDIR:-/tmp}/debug-overlay-bench)
#   SKIP_BUILD=1        use bin/debug-overlay and bin/kustomize as they are
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIZES=${SIZES:-"0 100 1000 10000 50000 crds"}
REVS=${REVS:-}
CALLGRIND=${CALLGRIND:-}
CALLGRIND_MAX_DOCS=${CALLGRIND_MAX_DOCS:-10000}
RUNS=${RUNS:-5}
KUSTOMIZE_MAX_DOCS=${KUSTOMIZE_MAX_DOCS:-10000}
KUSTOMIZE_TIMEOUT=${KUSTOMIZE_TIMEOUT:-1800}
MAX_LOAD=${MAX_LOAD:-1.5}
LOAD_WAIT=${LOAD_WAIT:-120}
WORK=${WORK:-${TMPDIR:-/tmp}/debug-overlay-bench}
overlay=$root/bin/debug-overlay
kustomize=$root/bin/kustomize

[[ -x /usr/bin/time ]] || { echo "compare: /usr/bin/time is missing: apt-get install -y time" >&2; exit 1; }
[[ -z $CALLGRIND ]] || command -v valgrind >/dev/null || { echo "compare: valgrind is missing: apt-get install -y valgrind" >&2; exit 1; }
mkdir -p "$WORK/bin"
revs=()
if [[ -n $REVS ]]; then
  # Each revision's post-renderer, built from a clean export of its tree
  # with the flags `make build` uses.
  for rev in $REVS; do
    if [[ $rev == . ]]; then
      src=$root name=work-tree
    else
      name=$(git -C "$root" rev-parse --short "$rev^{commit}")
      src=$WORK/src/$name
      if [[ ! -d $src ]]; then
        mkdir -p "$src"
        git -C "$root" archive "$name" | tar -x -C "$src"
      fi
    fi
    echo "compare: building debug-overlay at $rev ($name)" >&2
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/debug-overlay/debug-overlay/cmd.version=$name" \
      -o "$WORK/bin/debug-overlay@$name" ./cmd/debug-overlay)
    revs+=("$name")
  done
elif [[ ${SKIP_BUILD:-} != 1 ]]; then
  make -C "$root" --no-print-directory build >&2
  "$root/hack/install-tools.sh" kustomize >&2
fi
(cd "$root" && go build -o "$WORK/bench" ./hack/bench)
results=$WORK/results.tsv
printf 'stream\tdocs\tbytes\ttool\trun\twall_ms\tcpu_ms\trss_kb\tload1\tload5\tload15\ttimed_out\n' >"$results"
instructions=$WORK/instructions.tsv
printf 'stream\ttool\tinstructions\n' >"$instructions"

# tools STREAM: the tools to run on a stream, in the order of each round.
tools() {
  if [[ -n $REVS ]]; then
    echo cat
    for r in "${revs[@]}"; do
      [[ $1 == crds ]] && echo "debug-overlay-off@$r"
      echo "debug-overlay@$r"
    done
    return
  fi
  case $1 in
    0) echo cat debug-overlay ;;
    crds) echo cat debug-overlay-off debug-overlay ;;
    *) echo cat debug-overlay debug-overlay+copy ;;
  esac
}

# runs TOOL STREAM: how many times to run TOOL on a stream.
runs() {
  case $2 in
    0 | crds) echo $((RUNS * 4)) ;;
    *)
      if (($2 <= 100)); then echo $((RUNS * 4)); elif (($2 >= 50000)) && [[ $1 == debug-overlay* ]]; then echo 3; else echo "$RUNS"; fi ;;
  esac
}

# kustomize_runs DOCS: how many times to run kustomize (after the others).
kustomize_runs() {
  if [[ -n $REVS || $1 == crds || $1 == 0 ]] || (($1 > KUSTOMIZE_MAX_DOCS)); then echo 0; elif (($1 >= 10000)); then echo 1; else echo "$RUNS"; fi
}

# quiet waits up to LOAD_WAIT seconds for the 1-minute load average to drop
# below MAX_LOAD; other people's builds share this machine.
quiet() {
  local waited=0 load
  while :; do
    read -r load _ </proc/loadavg
    awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l < m) }' && return
    ((waited < LOAD_WAIT)) || { echo "compare: load $load still above $MAX_LOAD after ${LOAD_WAIT}s; measuring anyway" >&2; return; }
    sleep 10
    waited=$((waited + 10))
  done
}

# measure STREAM TOOL RUN IN OUT CMD...: run CMD once, stdin from IN (or
# nothing when IN is -), stdout to OUT, and append a row to results.tsv. A
# run that timeout(1) stopped (exit 124) is recorded as timed out.
measure() {
  local stream=$1 tool=$2 run=$3 in=$4 out=$5 l1 l5 l15 wall user sys rss rc=0 timed_out=no
  local TIMEFORMAT='%3R %3U %3S' # bash's time: wall, user and system seconds, to the millisecond
  shift 5
  read -r l1 l5 l15 _ </proc/loadavg
  [[ $in == - ]] && in=/dev/null
  { time /usr/bin/time -v -o "$WORK/time.txt" "$@" <"$in" >"$out" 2>"$WORK/stderr.txt"; } 2>"$WORK/times.txt" || rc=$?
  read -r wall user sys <"$WORK/times.txt"
  if ((rc == 124)) && [[ $1 == timeout ]]; then
    timed_out=yes
  elif ((rc != 0)); then
    echo "compare: $tool failed on stream $stream:" >&2
    head -20 "$WORK/stderr.txt" >&2
    exit 1
  fi
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$stream" "$(cat "$WORK/$stream/docs")" "$(stat -c %s "$WORK/$stream/stream.yaml")" "$tool" "$run" \
    "$(awk -v w="$wall" 'BEGIN { printf "%.0f", w * 1000 }')" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", (u + s) * 1000 }')" \
    "$rss" "$l1" "$l5" "$l15" "$timed_out" >>"$results"
  [[ $timed_out == no ]]
}

# The kustomize side: the stream as the only resource, and one strategic-merge
# patch per workload kind (each kind keeps its pod spec at another path).
pod_patch=$(
  cat <<'EOF'
{"shareProcessNamespace": true, "initContainers": [{"name": "debug-overlay-copy", "image": "busybox:1.36", "command": ["sh", "-c", "cp -RL /debug-overlay/src/. /debug-overlay/dst/"], "volumeMounts": [{"name": "debug-scratch", "mountPath": "/debug-overlay/dst"}], "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}}], "containers": [{"name": "debug", "image": "alpine:3.22", "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done"], "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}, "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}, "volumeMounts": [{"name": "debug-scratch", "mountPath": "/debug"}]}], "volumes": [{"name": "debug-scratch", "emptyDir": {"medium": "Memory"}}]}
EOF
)
kustomization() {
  patch() { # apiVersion kind wrapper-open wrapper-close
    local group=
    [[ $1 == */* ]] && group=${1%/*}
    printf -- '- target: {group: "%s", kind: %s}\n  patch: |-\n    {"apiVersion": "%s", "kind": "%s", "metadata": {"name": "any"}, %s%s%s}\n' \
      "$group" "$2" "$1" "$2" "$3" "$pod_patch" "$4"
  }
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources:"
  echo "- stream.yaml"
  echo "patches:"
  patch v1 Pod '"spec": ' ''
  for k in Deployment StatefulSet DaemonSet ReplicaSet; do
    patch apps/v1 "$k" '"spec": {"template": {"spec": ' '}}'
  done
  patch batch/v1 Job '"spec": {"template": {"spec": ' '}}'
  patch batch/v1 CronJob '"spec": {"jobTemplate": {"spec": {"template": {"spec": ' '}}}}'
}

{
  echo "## Machine"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- CPU: $(nproc) x $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
  if [[ -n $REVS ]]; then
    echo "- $(go version), debug-overlay at ${revs[*]} (REVS=\"$REVS\"), $(cat --version | head -1)"
  else
    echo "- $(go version), debug-overlay $("$overlay" version 2>/dev/null | head -1), kustomize $("$kustomize" version), $(cat --version | head -1)"
  fi
  echo "- uptime at start: $(uptime)"
  echo
}

# tool_cmd TOOL: sets cmd to TOOL's command line.
tool_cmd() {
  local bin=$overlay
  [[ $1 == *@* ]] && bin=$WORK/bin/debug-overlay@${1#*@}
  case ${1%@*} in
    cat) cmd=(cat) ;;
    debug-overlay) cmd=("$bin" --enable) ;;
    debug-overlay-off) cmd=("$bin") ;;
    debug-overlay+copy) cmd=("$bin" --enable --copy-volume tls) ;;
  esac
}

# count STREAM TOOL IN: TOOL's instructions on IN, counted by callgrind,
# appended to instructions.tsv.
count() {
  local n
  tool_cmd "$2"
  GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "${cmd[@]}" <"$3" >/dev/null 2>"$WORK/callgrind.txt" ||
    { echo "compare: $2 failed under callgrind on stream $1:" >&2; tail -20 "$WORK/callgrind.txt" >&2; exit 1; }
  n=$(awk '/Collected :/ { print $NF }' "$WORK/callgrind.txt")
  printf '%s\t%s\t%s\n' "$1" "$2" "$n" >>"$instructions"
}

for stream in $SIZES; do
  dir=$WORK/$stream
  mkdir -p "$dir/kustomize"
  if [[ $stream == crds ]]; then
    docs=10
    "$WORK/bench" gen -crds -docs "$docs" -out "$dir/stream.yaml" 2>"$dir/gen.txt"
  else
    docs=$stream
    "$WORK/bench" gen -docs "$docs" -out "$dir/stream.yaml" 2>"$dir/gen.txt"
  fi
  echo "$docs" >"$dir/docs"
  in=$dir/stream.yaml
  read -ra list <<<"$(tools "$stream" | tr "\n" " ")"
  rounds=0
  for tool in "${list[@]}"; do rounds=$((rounds > $(runs "$tool" "$stream") ? rounds : $(runs "$tool" "$stream"))); done
  echo "compare: stream $stream, ${list[*]}, $rounds rounds" >&2
  quiet
  for ((i = 1; i <= rounds; i++)); do
    for tool in "${list[@]}"; do
      ((i <= $(runs "$tool" "$stream"))) || continue
      tool_cmd "$tool"
      measure "$stream" "$tool" "$i" "$in" "$dir/$tool.out.yaml" "${cmd[@]}"
    done
  done
  if [[ -n $CALLGRIND ]] && ((docs <= CALLGRIND_MAX_DOCS)); then
    echo "compare: stream $stream, counting instructions" >&2
    for tool in "${list[@]}"; do count "$stream" "$tool" "$in"; done
  fi
  for tool in "${list[@]}"; do
    out=$dir/$tool.out.yaml
    case ${tool%@*} in
      cat) cmp "$in" "$out" >"$dir/$tool.verify" ;;
      *) if [[ $stream == 0 ]]; then
        : >"$dir/$tool.verify"
      elif [[ $stream == crds ]]; then
        cmp "$in" "$out" >"$dir/$tool.verify" # no workload: nothing may change
      elif [[ ${tool%@*} == debug-overlay+copy ]]; then
        "$WORK/bench" verify -in "$out" -docs "$docs" -init debug-overlay-copy -volume tls-debug-copy >"$dir/$tool.verify"
      else
        "$WORK/bench" verify -in "$out" -docs "$docs" >"$dir/$tool.verify"
      fi ;;
    esac
    rm -f "$out"
  done

  n=$(kustomize_runs "$stream")
  ((n > 0)) || continue
  ln -f "$dir/stream.yaml" "$dir/kustomize/stream.yaml"
  kustomization >"$dir/kustomize/kustomization.yaml"
  echo "compare: stream $stream, kustomize, $n runs" >&2
  out=$dir/kustomize.out.yaml
  quiet
  for ((i = 1; i <= n; i++)); do
    if ((docs >= 10000)); then
      measure "$stream" kustomize "$i" - "$out" timeout "$KUSTOMIZE_TIMEOUT" "$kustomize" build "$dir/kustomize" || {
        echo "compare: kustomize stopped after ${KUSTOMIZE_TIMEOUT}s" >&2
        echo "stopped after ${KUSTOMIZE_TIMEOUT}s: not checked" >"$dir/kustomize.verify"
        continue 2
      }
    else
      measure "$stream" kustomize "$i" - "$out" "$kustomize" build "$dir/kustomize"
    fi
  done
  "$WORK/bench" verify -in "$out" -docs "$docs" -init debug-overlay-copy -volume debug-scratch -strict >"$dir/kustomize.verify"
  rm -f "$out"
done

echo "## Results"
echo
echo "uptime at end: $(uptime)"
echo
"$WORK/bench" table -in "$results" -instructions "$instructions"
echo
echo "## Checks"
for stream in $SIZES; do
  [[ $stream != 0 ]] || continue
  echo
  echo "stream $stream: $(cat "$WORK/$stream/gen.txt")"
  for f in "$WORK/$stream"/*.verify; do
    echo
    echo "$(basename "$f" .verify):"
    echo '```'
    if [[ -s $f ]]; then cat "$f"; else echo "output identical to input"; fi
    echo '```'
  done
done
