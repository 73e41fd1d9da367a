/**
 * The VMI a VM asks for (kubevirt vm.go SetupVMIFromVM): same name as the VM, so a second create
 * from a stale cache is a 409 AlreadyExists rather than a second VMI; the template's labels and
 * annotations; an owner reference (controller) so garbage collection removes it with the VM; and
 * the cleanup finalizer already in place, which saves the VMI controller a write per start. Pure.
 */
import { API_VERSION, FINALIZERS, LABELS, VM_KIND, VMI_KIND } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';

export function vmiForVm(vm: VirtualMachine): VirtualMachineInstance {
  const name = vm.metadata.name ?? '';
  const template = vm.spec.template;
  return {
    apiVersion: API_VERSION,
    kind: VMI_KIND,
    metadata: {
      name,
      ...(vm.metadata.namespace === undefined ? {} : { namespace: vm.metadata.namespace }),
      labels: { ...template.metadata?.labels, [LABELS.vmName]: name },
      ...(template.metadata?.annotations === undefined ? {} : { annotations: { ...template.metadata.annotations } }),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: VM_KIND,
          name,
          uid: vm.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      finalizers: [FINALIZERS.vmiCleanup],
    },
    spec: template.spec,
  };
}

/** True when `vmi` is controlled by `vm` (its controller owner reference carries the VM's uid). */
export function isOwnedBy(vmi: VirtualMachineInstance, vm: VirtualMachine): boolean {
  return (vmi.metadata.ownerReferences ?? []).some(
    (r) => r.controller === true && r.kind === VM_KIND && r.uid === vm.metadata.uid,
  );
}
