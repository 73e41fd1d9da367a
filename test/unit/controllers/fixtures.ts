// Builders for VMs, VMIs and Pods in the shapes the API server sends, for the controller's tables.
import { API_VERSION, FINALIZERS, VM_KIND, VMI_KIND } from '../../../api/names.js';
import type {
  RunStrategy,
  StateChangeRequest,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineInstanceStatus,
  VirtualMachineStatus,
  VmiPhase,
} from '../../../api/types.js';
import type { Pod } from '../../../kube/core.js';

export const NOW = new Date('2026-11-25T14:00:00Z');
export const VM_UID = '11111111-aaaa-bbbb-cccc-000000000001';
export const VMI_UID = '22222222-aaaa-bbbb-cccc-000000000002';

export function vm(
  strategy: RunStrategy,
  status: VirtualMachineStatus = {},
  extra: { deleting?: boolean } = {},
): VirtualMachine {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: VM_UID,
      generation: 3,
      ...(extra.deleting === true ? { deletionTimestamp: '2026-11-25T13:59:00Z' } : {}),
    },
    spec: {
      runStrategy: strategy,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { domain: { cpu: { cores: 2 }, memory: { guest: '256Mi' }, devices: {} } },
      },
    },
    status,
  };
}

export function vmi(
  phase: VmiPhase | undefined,
  extra: { deleting?: boolean; uid?: string; status?: VirtualMachineInstanceStatus } = {},
): VirtualMachineInstance {
  return {
    apiVersion: API_VERSION,
    kind: VMI_KIND,
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: extra.uid ?? VMI_UID,
      finalizers: [FINALIZERS.vmiCleanup],
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: VM_KIND,
          name: 'web',
          uid: VM_UID,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      ...(extra.deleting === true ? { deletionTimestamp: '2026-11-25T13:59:30Z' } : {}),
    },
    spec: { domain: { cpu: { cores: 2 }, memory: { guest: '256Mi' }, devices: {} } },
    status: { ...(phase === undefined ? {} : { phase }), ...extra.status },
  };
}

export const wasRunningStatus: VirtualMachineInstanceStatus = {
  phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: '2026-11-25T13:00:00Z' }],
};

export const start: StateChangeRequest = { action: 'Start' };
export const stop = (uid = VMI_UID): StateChangeRequest => ({ action: 'Stop', uid });

export type PodState = 'pending' | 'unschedulable' | 'bound' | 'running' | 'succeeded' | 'failed' | 'deleting';

export function pod(state: PodState): Pod {
  const base: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'virt-launcher-web-22222222', namespace: 'ns', uid: 'pod-uid' },
    spec: { containers: [{ name: 'compute' }] },
    status: { phase: 'Pending' },
  };
  const bound: Pod = { ...base, spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: 'node-1' } };
  const terminated = (exitCode: number, phase: string): Pod => ({
    ...bound,
    status: {
      phase,
      containerStatuses: [
        {
          name: 'compute',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode } },
        },
      ],
    },
  });
  switch (state) {
    case 'pending':
      return base;
    case 'unschedulable':
      return {
        ...base,
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/1 nodes are available: 1 Insufficient cpu.',
            },
          ],
        },
      };
    case 'bound':
      return bound;
    case 'running':
      return { ...bound, status: { phase: 'Running' } };
    case 'succeeded':
      return terminated(0, 'Succeeded');
    case 'failed':
      return terminated(1, 'Failed');
    case 'deleting':
      return {
        ...bound,
        metadata: { ...bound.metadata, deletionTimestamp: '2026-11-25T13:59:50Z' },
        status: { phase: 'Running' },
      };
  }
}
