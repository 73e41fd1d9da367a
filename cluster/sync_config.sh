#!/usr/bin/env bash
# cluster/sync_config.sh: prints `export KUBECONFIG=...` (and `export TSVIRT_REGISTRY=127.0.0.1:PORT`, the
# local registry) for the cluster cluster/up.sh started.
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
# The local OCI registry (plain HTTP on loopback), for hack/guest-images.sh, skopeo and buildah.
registry="$(sed -n 's/^  "registry": "\(.*\)",$/\1/p' "$state/cluster.json")"
[[ -z "$registry" ]] || printf 'export TSVIRT_REGISTRY=%q\n' "$registry"
