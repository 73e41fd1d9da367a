# Sourced by cluster/quickcheck.sh: a throw-away VM goes through the whole stack (kubectl virt, API,
# virt-controller, scheduler, node agent, launcher, virt-handler, libvirt) to Running and back to
# Stopped, on whatever node-1 runs: test:///default, or a real libvirtd with `up.sh --libvirt`.
# It boots no kernel (no disk, no kernelBoot): a real QEMU sits in SeaBIOS, which is Running enough,
# and ignores ACPI, so the grace period is 1 s.

vm_runs_and_stops() {
  local kubeconfig="${KUBECONFIG:-}"
  [[ "$remote" -eq 1 ]] || kubeconfig="$state/kubeconfigs/admin.kubeconfig"
  local virt=(env KUBECONFIG="$kubeconfig" dist/bin/kubectl-virt)
  local ns=tsvirt-quickcheck name=quickcheck
  k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null
  k delete vm "$name" -n "$ns" --ignore-not-found --wait=true --timeout=60s >/dev/null
  "${virt[@]}" create -n "$ns" -f - >/dev/null <<EOF
apiVersion: tsvirt.io/v1alpha1
kind: VirtualMachine
metadata:
  name: $name
spec:
  runStrategy: Halted
  template:
    spec:
      terminationGracePeriodSeconds: 1
      domain:
        memory:
          guest: 32Mi
        resources:
          requests:
            cpu: 10m
        devices: {}
EOF
  local status=0
  "${virt[@]}" start "$name" -n "$ns" --wait --timeout 60s && "${virt[@]}" stop "$name" -n "$ns" --wait --timeout 60s || status=1
  ((status == 0)) || "${virt[@]}" describe "$name" -n "$ns" | tail -n 5
  k delete vm "$name" -n "$ns" --wait=false >/dev/null
  return "$status"
}

check "a VM reaches Running and stops" vm_runs_and_stops
