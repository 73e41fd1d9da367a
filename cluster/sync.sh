#!/usr/bin/env bash
# cluster/sync.sh: builds tsvirt from this tree and (re)starts its components as local processes
# against the running cluster: virt-controller, virt-api (and its APIService, pointed at it through
# an ExternalName Service), and one virt-handler per node (libvirt's
# test:///default driver unless the node was started with --libvirt NODE=URI). A component whose
# bundle does not exist yet is skipped with a message. Prints the export line of sync_config.sh,
# so `eval "$(cluster/sync.sh)"` also points kubectl at the cluster.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"

npm run --silent build
node_modules/.bin/node dist/local-cluster.js sync --state-dir "$state" >&2
cluster/sync_config.sh
