#!/usr/bin/env bash
# cluster/sync_config.sh: prints `export KUBECONFIG=...` for the cluster cluster/up.sh started.
# Use: eval "$(cluster/sync_config.sh)"
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
kubeconfig="$state/kubeconfigs/admin.kubeconfig"

if [[ ! -f "$kubeconfig" ]]; then
  echo "cluster/sync_config.sh: no cluster in $state: run cluster/up.sh first" >&2
  exit 1
fi
printf 'export KUBECONFIG=%q\n' "$kubeconfig"
