#!/usr/bin/env bash
# cluster/up.sh [--nodes N] [--ha] [--libvirt [NODE[=URI]]]... [--kubelet]
#   --kubelet           real nodes: a containerd and a kubelet per node (built once by
#                       cluster/kubelet/build.sh, cached), each with its own state, ports, cgroup root
#                       and node IP on its own bridge; needs root. Without it, node agents (simulated
#                       nodes, cluster/README.md) stand in for kubelets.
#   --libvirt           node-1 runs real VMs: a private libvirtd (+ virtlogd) started with the cluster
#                       under .cluster/libvirt/node-1 (cluster/libvirtd.sh; needs root), QEMU under TCG
#                       when KVM is not usable; down.sh stops it and its VMs
#   --libvirt NODE      the same for NODE;  --libvirt NODE=URI  NODE's handler uses an existing libvirtd
# Starts a vanilla Kubernetes control plane as local processes (the seed's `vagrant up`, without a
# VM): etcd, kube-apiserver, kube-controller-manager, kube-scheduler and one node agent per node.
# State lives in .cluster/ (or $TSVIRT_CLUSTER_DIR). Running it on a running cluster changes nothing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"

bundles_stale() {
  # up.sh needs dist/local-cluster.js and dist/node-agent.js; a full `npm run build` takes 1-20 s
  # depending on load, so it runs only when a bundle is missing or older than its sources.
  local b
  for b in dist/local-cluster.js dist/node-agent.js; do [[ -f "$b" ]] || return 0; done
  [[ -z "$(find cluster api kube package-lock.json -name '*.ts' -newer dist/node-agent.js -o -name package-lock.json -newer dist/node-agent.js 2>/dev/null | head -n 1)" ]] || return 0
  [[ -z "$(find cluster api kube -name '*.ts' -newer dist/local-cluster.js 2>/dev/null | head -n 1)" ]] || return 0
  return 1
}

bin="$(cluster/controlplane/build.sh | tail -n 1)"
if bundles_stale; then npm run --silent build; fi
# A bare --libvirt (last, or followed by another flag) means node-1.
args=()
while (($#)); do
  if [[ "$1" == --kubelet ]]; then
    args+=(--kubelet-bin-dir "$(cluster/kubelet/build.sh | tail -n 1)")
  elif [[ "$1" == --libvirt && ($# -eq 1 || "${2:-}" == -*) ]]; then args+=(--libvirt=node-1); else args+=("$1"); fi
  shift
done
node_modules/.bin/node dist/local-cluster.js up --state-dir "$state" --bin-dir "$bin" "${args[@]}"

cat <<USAGE
Next:
  cluster/kubectl.sh get nodes              kubectl against this cluster
  eval "\$(cluster/sync_config.sh)"          point your own kubectl at it
  cluster/sync.sh                           build tsvirt and (re)start its components
  cluster/quickcheck.sh                     check that everything is up
  cluster/down.sh                           stop it all
USAGE
