#!/usr/bin/env bash
# Build pinned helm3, helm4 and kustomize, and for the release checks krew (as kubectl-krew)
# and the OCI registry of distribution (as registry), from the Go module proxy into <root>/bin.
# Usage: hack/install-tools.sh [helm3] [helm4] [kustomize] [kubectl-krew] [registry]   (default: all)
# A tool is rebuilt only if missing or if its version differs from the pin (its version output,
# or for krew and registry, whose version output is no good for that, the module version Go
# recorded in the binary).
set -euo pipefail

HELM3_VERSION=${HELM3_VERSION:-v3.22.0}
# Commit of the upstream tag, as printed by the official v3.22.0 release binary.
HELM3_COMMIT=${HELM3_COMMIT:-144ca65f8501953fa8b41cd1d37c7223051c85b7}
HELM4_VERSION=${HELM4_VERSION:-v4.3.1}
# The module proxy does not record tag commits; set this to stamp helm4 like a release.
HELM4_COMMIT=${HELM4_COMMIT:-}
KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-v5.8.2} # v5.8.3 requires Go 1.27
KREW_VERSION=${KREW_VERSION:-v0.4.3}
# The reference registry (github.com/distribution/distribution/v3/cmd/registry); v3.1.2 builds
# on Go 1.26.
REGISTRY_VERSION=${REGISTRY_VERSION:-v3.1.2}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin

# Run go outside this repository, without its GOFLAGS, so only upstream's go.mod/go.sum count.
gox() { (cd / && GOFLAGS='' CGO_ENABLED=0 go "$@"); }

# What `helm version --short` prints for a release build.
helm_stamp() { echo "$1${2:++g${2:0:7}}"; }

# Release ldflags from helm's Makefile (metadata is empty when building a tag).
helm_ldflags() { # module version commit
  local v=$1/internal/version
  echo "-s -w -X $v.version=$2 -X $v.metadata= -X $v.gitCommit=$3 -X $v.gitTreeState=clean"
}

declare -A pkg=(
  [helm3]=helm.sh/helm/v3/cmd/helm
  [helm4]=helm.sh/helm/v4/cmd/helm
  [kustomize]=sigs.k8s.io/kustomize/kustomize/v5
  [kubectl-krew]=sigs.k8s.io/krew/cmd/krew
  [registry]=github.com/distribution/distribution/v3/cmd/registry
)
declare -A version=([helm3]=$HELM3_VERSION [helm4]=$HELM4_VERSION [kustomize]=$KUSTOMIZE_VERSION
  [kubectl-krew]=$KREW_VERSION [registry]=$REGISTRY_VERSION)
# A check of @mod compares the main module's version in the binary's build information.
declare -A check=([helm3]="version --short" [helm4]="version --short" [kustomize]=version
  [kubectl-krew]=@mod [registry]=@mod)
declare -A want=(
  [helm3]=$(helm_stamp "$HELM3_VERSION" "$HELM3_COMMIT")
  [helm4]=$(helm_stamp "$HELM4_VERSION" "$HELM4_COMMIT")
  [kustomize]=$KUSTOMIZE_VERSION
  [kubectl-krew]=$KREW_VERSION
  [registry]=$REGISTRY_VERSION
)

# installed_version prints what the check of a tool says.
installed_version() { # tool
  if [[ ${check[$1]} == @mod ]]; then
    go version -m "$bin/$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
  else
    # shellcheck disable=SC2086 # check holds a word list
    "$bin/$1" ${check[$1]} 2>/dev/null
  fi
}

# flags_<tool> set goflags; they run only when a build is needed.
flags_helm3() {
  local m=helm.sh/helm/v3 gomod major minor p k8s=
  # helm 3's Makefile derives the default Kubernetes version from client-go: v0.X.Y -> 1.X.
  gomod=$(gox list -m -f '{{.GoMod}}' "$m@$HELM3_VERSION")
  read -r major minor < <(awk '$1 == "k8s.io/client-go" { sub(/^v/, "", $2); split($2, v, "."); print v[1] + 1, v[2] }' "$gomod")
  for p in pkg/lint/rules pkg/chartutil; do
    k8s+=" -X $m/$p.k8sVersionMajor=$major -X $m/$p.k8sVersionMinor=$minor"
  done
  goflags=(-trimpath -ldflags "$(helm_ldflags $m "$HELM3_VERSION" "$HELM3_COMMIT")$k8s")
}
flags_helm4() { # helm 4 reads its Kubernetes version from the embedded build info instead.
  goflags=(-trimpath -ldflags "$(helm_ldflags helm.sh/helm/v4 "$HELM4_VERSION" "$HELM4_COMMIT")")
}
flags_kustomize() {
  # As releasing/build-kustomize-binary.sh, but buildDate is the tag's time rather than now, so
  # rebuilds are identical. Its gitCommit -X is dropped: provenance reads vcs.revision instead.
  local p=sigs.k8s.io/kustomize/api/provenance date
  date=$(gox list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "${pkg[kustomize]}@$KUSTOMIZE_VERSION")
  goflags=(-ldflags "-s -w -X $p.version=$KUSTOMIZE_VERSION -X $p.buildDate=$date")
}

flags_kubectl-krew() { # what `kubectl krew version` prints as GitTag
  goflags=(-trimpath -ldflags "-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION")
}
flags_registry() {
  goflags=(-trimpath -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION")
}

[[ $# -gt 0 ]] || set -- helm3 helm4 kustomize kubectl-krew registry
for tool in "$@"; do
  if [[ ! -v pkg[$tool] ]]; then
    echo "unknown tool: $tool (want: ${!pkg[*]})" >&2
    exit 2
  fi
  start=$EPOCHREALTIME
  if [[ -x $bin/$tool && $(installed_version "$tool") == "${want[$tool]}" ]]; then
    state=cached
  else
    "flags_$tool"
    mkdir -p "$bin"
    tmp=$(mktemp -d "$bin/.build-$tool.XXXXXX") # inside bin/ so the final mv is atomic
    trap 'rm -rf "$tmp"' EXIT
    GOBIN=$tmp gox install "${goflags[@]}" "${pkg[$tool]}@${version[$tool]}"
    mv "$tmp"/* "$bin/$tool"
    rm -rf "$tmp"
    state=built
  fi
  awk -v t="$tool" -v v="${version[$tool]}" -v s="$state" -v a="$start" -v b="$EPOCHREALTIME" \
    'BEGIN { printf "%-12s %-8s %-6s %6.1fs\n", t, v, s, b - a }'
done
