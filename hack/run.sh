#!/usr/bin/env bash
# The main job (README's first command): on a fresh Debian machine, as root, installs what is
# missing, builds the tiny guest, starts a local cluster as a user's cluster runs: node-1 is a real
# kubelet + containerd node whose libvirtd (a private one, QEMU under TCG when KVM is not usable)
# runs the VMs; deploys tsvirt from this tree as a user installs it (its images, built and pushed to
# the cluster's registry, and `kubectl apply -k manifests/overlays/local`), and boots
# examples/vm-tiny-guest.yaml through `kubectl virt`; then builds the Debian 12 cloud guest
# (hack/guest-images.sh, cached), pushes it to the cluster's registry and boots examples/vm-debian.yaml
# (a containerDisk plus cloud-init). The VMs are left running; the end of the output
# says how to see its console, stop it and tear everything down. A second run changes nothing that
# is already right (the cluster stays, the components are restarted from the current build, a
# running VM keeps running).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"

step() { printf '\n==> %s\n' "$*" >&2; }

[[ "$(id -u)" -eq 0 ]] || { echo "hack/run.sh needs root: it starts a privileged libvirtd for node-1" >&2; exit 1; }

step "Installing what is missing (hack/install-deps.sh)"
hack/install-deps.sh

step "Building the tiny guest (test/e2e/guest/build.sh)"
test/e2e/guest/build.sh >/dev/null

step "Starting the cluster: a real kubelet node with its libvirtd (cluster/up.sh --kubelet --libvirt)"
cluster/up.sh --kubelet --libvirt >/dev/null
uri="$(node_modules/.bin/node -e '
  const n = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).nodes.find((x) => x.name === "node-1");
  if (n === undefined || n.libvirtDir === undefined) process.exit(1);
  console.log(n.libvirtUri);' "$state/cluster.json")" || {
  echo "The cluster in $state runs node-1 on libvirt's test driver; run cluster/down.sh, then hack/run.sh again" >&2
  exit 1
}
node_ip="$(node_modules/.bin/node -e '
  const n = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).nodes.find((x) => x.name === "node-1");
  if (n === undefined || n.kubelet === undefined) process.exit(1);
  console.log(`10.213.${n.kubelet.index}.1`);' "$state/cluster.json")" || {
  echo "The cluster in $state runs node agents, not a kubelet; run cluster/down.sh, then hack/run.sh again" >&2
  exit 1
}
kubectl_dir="$(node_modules/.bin/node -p 'require("node:path").dirname(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).kubectl)' "$state/cluster.json")"
# virt-handler's run folder on the node (manifests/base/virt-handler.yaml).
run_dir=/var/run/tsvirt

step "Deploying tsvirt from this tree: images, kubectl apply -k manifests/overlays/local (cluster/sync.sh)"
eval "$(cluster/sync.sh)"
export PATH="$repo/dist/bin:$kubectl_dir:$PATH"

step "Creating and starting the VM (kubectl virt)"
if kubectl get vm tiny-guest >/dev/null 2>&1; then
  echo "VM tiny-guest exists already" >&2
else
  kubectl virt create -f examples/vm-tiny-guest.yaml
fi
if [[ "$(kubectl get vm tiny-guest -o jsonpath='{.status.printableStatus}')" == Running ]]; then
  echo "VM tiny-guest is running already" >&2
else
  kubectl virt start tiny-guest --wait --timeout 120s
fi
kubectl virt list

step "Building the Debian 12 cloud guest and pushing it to the cluster's registry (hack/guest-images.sh)"
eval "$(cluster/sync_config.sh)"
[[ -n "${TSVIRT_REGISTRY:-}" ]] || { echo "The cluster runs no registry: install docker-registry (hack/install-deps.sh), then cluster/down.sh and hack/run.sh again" >&2; exit 1; }
hack/guest-images.sh >/dev/null

step "Creating and starting the Debian VM (examples/vm-debian.yaml)"
if kubectl get vm debian >/dev/null 2>&1; then
  echo "VM debian exists already" >&2
else
  # The handler Pod pulls from the registry at its node's IP (manifests/overlays/local).
  sed "s#REGISTRY/#$node_ip:5000/#" examples/vm-debian.yaml | kubectl virt create -f -
fi
if [[ "$(kubectl get vm debian -o jsonpath='{.status.printableStatus}')" == Running ]]; then
  echo "VM debian is running already" >&2
else
  kubectl virt start debian --wait --timeout 300s
fi
kubectl virt list

socket="$run_dir/default_tiny-guest/serial.sock"
command -v socat >/dev/null || socat_note="   (needs socat: apt-get install socat)"
down="cluster/down.sh"
[[ -z "${TSVIRT_CLUSTER_DIR:-}" ]] || down="TSVIRT_CLUSTER_DIR=$TSVIRT_CLUSTER_DIR cluster/down.sh"

cat <<HINT

tiny-guest is running on node-1, a real kubelet node (its launcher is a container in Pod
$(kubectl get pods -l tsvirt.io/vmi-name=tiny-guest -o name); QEMU under the node's libvirt at $uri).
Use this cluster from your shell:
  export KUBECONFIG=$KUBECONFIG PATH=$repo/dist/bin:$kubectl_dir:\$PATH
Its serial console (the marker line TSVIRT-GUEST-READY, then a root shell):
  kubectl virt console tiny-guest
      interactive, through the API server and virt-api; press Enter for a prompt, Ctrl-] to leave
  printf 'uname -r\\n' | kubectl virt console tiny-guest
      scripted: sends the line, prints the answer, exits once the guest is quiet for 1 s
  cat $run_dir/default_tiny-guest/serial.log
      everything the guest printed since it started (QEMU logs the console there)
  socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$socket
      as root on the node, without the API (one client at a time: it takes the console)${socat_note:-}
Stop it (the guest gets the ACPI power button and powers itself off):
  kubectl virt stop tiny-guest --wait

debian (Debian 12 from the containerDisk $node_ip:5000/tsvirt/debian:12, cloud-init NoCloud) boots
under TCG in about a minute and a half; cloud-init's runcmd prints "tsvirt: debian is up":
  grep -a 'is up' $run_dir/default_debian/serial.log     (or: tail -f it while it boots)
  socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$run_dir/default_debian/serial.sock
      its console (a login prompt; user debian with the SSH key you put in examples/vm-debian.yaml)
  kubectl virt stop debian --wait
Tear everything down (cluster, registry, libvirtd, any VM left):
  $down
HINT
