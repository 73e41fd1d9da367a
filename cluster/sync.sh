#!/usr/bin/env bash
# cluster/sync.sh: builds tsvirt from this tree and deploys or updates it in the running cluster.
#   On a cluster of real kubelet nodes (cluster/up.sh --kubelet) it does what a user does: builds
#   the images (npm run images), pushes them to the cluster's registry, `kubectl apply -k
#   manifests/overlays/local`, restarts the workloads so they pull the new images, and waits until
#   every one is Ready.
#   On a node-agent cluster it (re)starts the components as local processes: virt-controller,
#   virt-api (and its APIService, pointed at it through an ExternalName Service), and one
#   virt-handler per node (libvirt's test:///default driver unless the node was started with
#   --libvirt NODE=URI). A component whose bundle does not exist yet is skipped with a message.
# Prints the export lines of sync_config.sh, so `eval "$(cluster/sync.sh)"` also points kubectl at the cluster.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"

npm run --silent build
if grep -q '"kubelet": {' "$state/cluster.json" 2>/dev/null; then
  eval "$(cluster/sync_config.sh)"
  k=(cluster/kubectl.sh)
  hack/images.sh --push "$TSVIRT_REGISTRY" >&2
  "${k[@]}" apply -k manifests/overlays/local >&2
  "${k[@]}" rollout restart deployment/virt-controller deployment/virt-api daemonset/virt-handler -n tsvirt-system >&2
  "${k[@]}" rollout status deployment/virt-controller -n tsvirt-system --timeout=180s >&2
  "${k[@]}" rollout status deployment/virt-api -n tsvirt-system --timeout=180s >&2
  "${k[@]}" rollout status daemonset/virt-handler -n tsvirt-system --timeout=180s >&2
  "${k[@]}" wait --for=condition=Available apiservice/v1alpha1.subresources.tsvirt.io --timeout=60s >&2
else
  node_modules/.bin/node dist/local-cluster.js sync --state-dir "$state" >&2
fi
cluster/sync_config.sh
