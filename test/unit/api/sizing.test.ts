import { cpuTopology, guestMemoryBytes, launcherResources, SizingError, vcpuCount } from '../../../api/sizing.js';
import { DEFAULT_GUEST_MEMORY_BYTES } from '../../../api/defaults.js';
import type { VirtualMachineInstance, VirtualMachineInstanceSpec } from '../../../api/types.js';

const MiB = 2 ** 20;

function vmi(domain: VirtualMachineInstanceSpec['domain']): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'ns' },
    spec: { domain },
  };
}

describe('cpuTopology', () => {
  it('takes spec.domain.cpu, each of sockets, cores and threads 1 when unset', () => {
    expect(cpuTopology(vmi({ cpu: { sockets: 2, threads: 2 }, devices: {} }))).toEqual({
      sockets: 2,
      cores: 1,
      threads: 2,
    });
    expect(vcpuCount(vmi({ cpu: { sockets: 2, cores: 2, threads: 2 }, devices: {} }))).toBe(8);
  });

  it('without spec.domain.cpu, rounds the CPU request (else limit) up to whole cores, as KubeVirt does', () => {
    expect(cpuTopology(vmi({ resources: { requests: { cpu: '1500m' } }, devices: {} }))).toEqual({
      sockets: 1,
      cores: 2,
      threads: 1,
    });
    expect(vcpuCount(vmi({ resources: { limits: { cpu: '3' } }, devices: {} }))).toBe(3);
    expect(vcpuCount(vmi({ devices: {} }))).toBe(1);
  });

  it('names the field that is not a usable count', () => {
    expect(() => cpuTopology(vmi({ cpu: { cores: 0 }, devices: {} }))).toThrow(
      new SizingError('spec.domain.cpu.cores', 'must be a positive whole number, got 0'),
    );
  });
});

describe('guestMemoryBytes', () => {
  it('reads memory.guest, else requests.memory, else limits.memory, else the default', () => {
    expect(
      guestMemoryBytes(vmi({ memory: { guest: '64Mi' }, resources: { requests: { memory: '1Gi' } }, devices: {} })),
    ).toBe(64 * MiB);
    expect(guestMemoryBytes(vmi({ resources: { requests: { memory: '1Gi' } }, devices: {} }))).toBe(1024 * MiB);
    // The limit counts too: the handler and the Pod's requests agree on it (they did not before).
    expect(guestMemoryBytes(vmi({ resources: { limits: { memory: '96Mi' } }, devices: {} }))).toBe(96 * MiB);
    expect(guestMemoryBytes(vmi({ devices: {} }))).toBe(DEFAULT_GUEST_MEMORY_BYTES);
  });

  it('refuses less than 1Mi, naming the field it read', () => {
    expect(() => guestMemoryBytes(vmi({ resources: { requests: { memory: '1Ki' } }, devices: {} }))).toThrow(
      'spec.domain.resources.requests.memory: "1Ki" is not a memory size of at least 1Mi',
    );
  });
});

describe('launcherResources', () => {
  it('requests vCPUs / cpuAllocationRatio plus 10m unless resources.requests.cpu names it', () => {
    expect(launcherResources(vmi({ cpu: { cores: 2 }, devices: {} })).requests.cpu).toBe('210m');
    expect(launcherResources(vmi({ cpu: { cores: 3 }, devices: {} }), 4).requests.cpu).toBe('760m');
    expect(launcherResources(vmi({ resources: { requests: { cpu: '100m' } }, devices: {} })).requests.cpu).toBe('110m');
  });

  it('limits CPU only when the VM does, and memory always, at the request', () => {
    const limited = launcherResources(vmi({ resources: { limits: { cpu: '2', memory: '1Gi' } }, devices: {} }));
    // 1024Mi + 48Mi + 32Mi + 2 × 8Mi + 2Mi.
    expect(limited).toEqual({
      requests: { cpu: '210m', memory: '1122Mi' },
      limits: { cpu: '2010m', memory: '1122Mi' },
    });
    // 128Mi (the default) + 48Mi + 32Mi + 8Mi + 0.25Mi: not whole mebibytes, so plain bytes.
    expect(launcherResources(vmi({ devices: {} })).limits).toEqual({ memory: String(216 * MiB + MiB / 4) });
  });
});
