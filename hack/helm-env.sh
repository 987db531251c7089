# shellcheck shell=bash
# Keep Helm 3 and Helm 4 state apart, inside the repository and away from ~/.config etc.
# Usage: . hack/helm-env.sh && helm_env 3    (or 4)
# Exports HELM_{CACHE,CONFIG,DATA}_HOME under <root>/bin/.helm<N>/ and HELM_BIN=<root>/bin/helm<N>.

_helm_env_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

helm_env() {
  case ${1:-} in
  3 | 4) ;;
  *)
    echo "usage: helm_env 3|4" >&2
    return 2
    ;;
  esac
  local home=$_helm_env_root/bin/.helm$1
  export HELM_CACHE_HOME=$home/cache HELM_CONFIG_HOME=$home/config HELM_DATA_HOME=$home/data
  export HELM_BIN=$_helm_env_root/bin/helm$1
  # These override paths derived from the homes above and could point both Helms at one place.
  unset HELM_PLUGINS HELM_REGISTRY_CONFIG HELM_REPOSITORY_CONFIG HELM_REPOSITORY_CACHE HELM_CONTENT_CACHE
}
