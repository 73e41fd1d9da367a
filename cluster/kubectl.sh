#!/usr/bin/env bash
# cluster/kubectl.sh ARGS...: the cached kubectl (the control plane's own version) against the
# cluster cluster/up.sh started, as its admin.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
kubeconfig="$state/kubeconfigs/admin.kubeconfig"

if [[ ! -f "$kubeconfig" ]]; then
  echo "cluster/kubectl.sh: no cluster in $state: run cluster/up.sh first" >&2
  exit 1
fi
bin="$("$repo/cluster/controlplane/build.sh" 2>/dev/null | tail -n 1)"
exec "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"
