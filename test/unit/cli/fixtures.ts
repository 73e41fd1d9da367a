// VMs and VMIs as the API server returns them, for the CLI's unit tests.
import type { VirtualMachine, VirtualMachineInstance } from '../../../api/types.js';

export const NOW = Date.parse('2026-11-25T12:00:00Z');

export function vm(
  name: string,
  over: Partial<{
    status: VirtualMachine['status'];
    runStrategy: VirtualMachine['spec']['runStrategy'];
    running: boolean;
    namespace: string;
    created: string;
    uid: string;
  }> = {},
): VirtualMachine {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachine',
    metadata: {
      name,
      namespace: over.namespace ?? 'default',
      uid: over.uid ?? `uid-${name}`,
      generation: 1,
      resourceVersion: '7',
      creationTimestamp: over.created ?? '2026-11-25T11:55:00Z',
    },
    spec: {
      ...(over.running === undefined ? { runStrategy: over.runStrategy ?? 'Always' } : { running: over.running }),
      template: {
        spec: {
          domain: {
            cpu: { cores: 2 },
            memory: { guest: '256Mi' },
            devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
          },
          volumes: [{ name: 'root', hostDisk: { path: '/var/lib/images/root.img', type: 'Disk' } }],
        },
      },
    },
    ...(over.status === undefined ? {} : { status: over.status }),
  };
}

export function vmi(
  name: string,
  over: Partial<{
    phase: NonNullable<VirtualMachineInstance['status']>['phase'];
    node: string;
    ip: string;
    ready: boolean;
    uid: string;
    namespace: string;
  }> = {},
): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name,
      namespace: over.namespace ?? 'default',
      uid: over.uid ?? `vmi-uid-${name}`,
      creationTimestamp: '2026-11-25T11:58:30Z',
    },
    spec: { domain: { cpu: { cores: 2 }, memory: { guest: '256Mi' }, devices: {} } },
    status: {
      phase: over.phase ?? 'Running',
      ...(over.node === undefined ? {} : { nodeName: over.node }),
      ...(over.ip === undefined ? {} : { interfaces: [{ name: 'default', ipAddress: over.ip }] }),
      conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
    },
  };
}

export const running = (name: string): VirtualMachine =>
  vm(name, { status: { printableStatus: 'Running', ready: true, observedGeneration: 1 } });
export const stopped = (name: string): VirtualMachine =>
  vm(name, { runStrategy: 'Halted', status: { printableStatus: 'Stopped', ready: false, observedGeneration: 1 } });
