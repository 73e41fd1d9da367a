#!/usr/bin/env bash
# cluster/up.sh [--nodes N] [--ha] [--libvirt NODE=URI]...
# Starts a vanilla Kubernetes control plane as local processes (the seed's `vagrant up`, without a
# VM): etcd, kube-apiserver, kube-controller-manager, kube-scheduler and one node agent per node.
# State lives in .cluster/ (or $TSVIRT_CLUSTER_DIR). Running it on a running cluster changes nothing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"

bin="$(cluster/controlplane/build.sh | tail -n 1)"
npm run --silent build
node_modules/.bin/node dist/local-cluster.js up --state-dir "$state" --bin-dir "$bin" "$@"

cat <<USAGE
Next:
  cluster/kubectl.sh get nodes              kubectl against this cluster
  eval "\$(cluster/sync_config.sh)"          point your own kubectl at it
  cluster/sync.sh                           build tsvirt and (re)start its components
  cluster/quickcheck.sh                     check that everything is up
  cluster/down.sh                           stop it all
USAGE
