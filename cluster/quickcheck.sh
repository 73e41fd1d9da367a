#!/usr/bin/env bash
# cluster/quickcheck.sh: a short series of checks that the local cluster and tsvirt are set up,
# one PASS/FAIL line each; exits non-zero when any check fails.
# To add a check: put a file in cluster/quickcheck.d/ (sourced in name order) that defines a
# function and calls `check "what it checks" function_name`. A check function prints what it saw
# and returns non-zero to fail.
# Against any cluster: `KUBECONFIG=F cluster/quickcheck.sh` (with no local cluster in the state
# folder) checks the API, the CRDs, the nodes and tsvirt's workloads from manifests/ instead of the
# local processes; kubectl is the one on PATH, or the cached one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"
export TSVIRT_CLUSTER_DIR="$state"

failed=0
check() {
  local name="$1"
  shift
  local output
  if output="$("$@" 2>&1)"; then
    echo "PASS $name"
  else
    # The last line is what the check saw last.
    echo "FAIL $name: $(printf '%s' "$output" | tail -n 1)"
    failed=1
  fi
}

remote=0
if [[ ! -f "$state/cluster.json" && -n "${KUBECONFIG:-}" ]]; then remote=1; fi
if ((remote)); then
  kubectl_bin="$(command -v kubectl || true)"
  [[ -n "$kubectl_bin" ]] || kubectl_bin="$(cluster/controlplane/build.sh 2>/dev/null | tail -n 1)/kubectl"
  k() { "$kubectl_bin" --request-timeout=5s "$@"; }
else
  k() { cluster/kubectl.sh --request-timeout=5s "$@"; }
fi

# tsvirt as installed from manifests/: every workload in tsvirt-system rolled out and Ready.
workloads_ready() {
  k get deployment/virt-controller deployment/virt-api daemonset/virt-handler -n tsvirt-system >/dev/null || return 1
  k rollout status deployment/virt-controller -n tsvirt-system --timeout=10s &&
    k rollout status deployment/virt-api -n tsvirt-system --timeout=10s &&
    k rollout status daemonset/virt-handler -n tsvirt-system --timeout=10s
}

runs_from_manifests() { grep -q '"kubelet": {' "$state/cluster.json"; }

api_ready() { [[ "$(k get --raw /readyz)" == ok ]]; }

crds_established() {
  local crds=(manifests/base/crds/*.yaml)
  [[ -e "${crds[0]}" ]] || { echo "no CRD manifests in manifests/base/crds"; return 1; }
  local args=()
  for f in "${crds[@]}"; do args+=(-f "$f"); done
  k wait --for=condition=Established --timeout=10s "${args[@]}"
}

nodes_ready() {
  local count
  count="$(k get nodes --no-headers | wc -l)"
  [[ "$count" -gt 0 ]] || { echo "no nodes registered"; return 1; }
  k wait --for=condition=Ready --timeout=10s nodes --all
}

control_plane_up() { node_modules/.bin/node dist/local-cluster.js status --state-dir "$state"; }

components_up() {
  local status
  status="$(node_modules/.bin/node dist/local-cluster.js status --state-dir "$state")" || { echo "$status"; return 1; }
  grep -q '^virt-controller ' <<<"$status" || { echo "virt-controller is not running: run cluster/sync.sh"; return 1; }
  grep -q '^virt-handler-' <<<"$status" || { echo "no virt-handler is running: run cluster/sync.sh"; return 1; }
  grep -q '^virt-api ' <<<"$status" || { echo "virt-api is not running: run cluster/sync.sh"; return 1; }
}

virt_api_available() {
  k wait --for=condition=Available --timeout=10s apiservice/v1alpha1.subresources.tsvirt.io
}

if [[ ! -f "$state/cluster.json" && "$remote" -eq 0 ]]; then
  echo "FAIL cluster exists: no cluster in $state: run cluster/up.sh (or set KUBECONFIG to check another cluster)"
  exit 1
fi
check "API ready" api_ready
check "CRDs established" crds_established
check "nodes Ready" nodes_ready
if ((remote)); then
  check "tsvirt workloads Ready" workloads_ready
else
  check "control plane processes running" control_plane_up
  if runs_from_manifests; then check "tsvirt workloads Ready" workloads_ready; else check "tsvirt components up" components_up; fi
fi
check "virt-api APIService Available" virt_api_available

for extra in cluster/quickcheck.d/*.sh; do
  [[ -e "$extra" ]] || continue
  # shellcheck source=/dev/null
  source "$extra"
done

exit "$failed"
