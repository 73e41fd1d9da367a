/**
 * How big a VMI is: its vCPUs, its guest memory and what its launcher Pod asks the scheduler for
 * (kubevirt pkg/virt-controller/services/renderresources.go, much reduced). The handler sizes the
 * domain and the controller sizes the Pod from these same functions, so the node never runs a
 * guest bigger than the place the scheduler kept for it. Pure.
 *
 * Launcher overhead, added to the Pod's requests (and to its limits where the VM sets them):
 * - CPU: {@link LAUNCHER_CPU_OVERHEAD_MILLICORES} (10m): the launcher is idle but for socket
 *   traffic; QEMU's own threads are counted in the guest's vCPUs.
 * - memory: {@link LAUNCHER_MEMORY_OVERHEAD_BYTES} (48 MiB, the virt-launcher process; DESIGN.md
 *   targets ≤ 45 MB RSS) + {@link QEMU_MEMORY_OVERHEAD_BYTES} (32 MiB, QEMU's fixed cost: code,
 *   firmware, video memory) + 8 MiB per vCPU (thread stacks, vCPU state) + guest memory / 512
 *   (the guest's page tables).
 *
 * CPU is requested as KubeVirt requests it: vCPUs / cpuAllocationRatio (10 unless the cluster
 * configuration says otherwise, so 100m per vCPU) unless `resources.requests.cpu` names it; no CPU
 * limit unless `resources.limits.cpu` names one. Memory requests equal limits, as a guest's memory
 * cannot be reclaimed without harming it.
 */
import { DEFAULT_CPU_ALLOCATION_RATIO, DEFAULT_GUEST_MEMORY_BYTES } from './defaults.js';
import { parseMilliQuantity, parseQuantity } from './quantity.js';
import type { Quantity, VirtualMachineInstance } from './types.js';

export const LAUNCHER_CPU_OVERHEAD_MILLICORES = 10;
export const LAUNCHER_MEMORY_OVERHEAD_BYTES = 48 * 2 ** 20;
export const QEMU_MEMORY_OVERHEAD_BYTES = 32 * 2 ** 20;
export const PER_VCPU_MEMORY_OVERHEAD_BYTES = 8 * 2 ** 20;
/** The smallest guest memory the CRD accepts (its CEL rule on memory.guest and resources). */
export const MIN_GUEST_MEMORY_BYTES = 2 ** 20;

/** A size field that does not say a usable size; `field` is its path in the VMI. */
export class SizingError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'SizingError';
  }
}

const MEMORY = 'memory size of at least 1Mi';
const CPU = 'CPU quantity above 0';

/** The quantity parsed, or a {@link SizingError} saying what `field` should have been. */
function parsed(field: string, value: Quantity, parse: (q: Quantity) => bigint, what: string): number {
  try {
    return Number(parse(value));
  } catch {
    throw new SizingError(field, `"${String(value)}" is not a ${what}`);
  }
}

export interface CpuTopology {
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

function positiveInt(value: number | undefined, field: string): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || value < 1)
    throw new SizingError(field, `must be a positive whole number, got ${value}`);
  return value;
}

/**
 * The guest's CPU topology: spec.domain.cpu (each of sockets, cores, threads 1 when unset); with no
 * spec.domain.cpu, as many cores as resources.requests.cpu (else limits.cpu) rounded up to whole
 * vCPUs, as KubeVirt does; one vCPU when neither is set.
 */
export function cpuTopology(vmi: VirtualMachineInstance): CpuTopology {
  const cpu = vmi.spec.domain.cpu;
  if (cpu !== undefined)
    return {
      sockets: positiveInt(cpu.sockets, 'spec.domain.cpu.sockets'),
      cores: positiveInt(cpu.cores, 'spec.domain.cpu.cores'),
      threads: positiveInt(cpu.threads, 'spec.domain.cpu.threads'),
    };
  const resources = vmi.spec.domain.resources;
  const candidates: ReadonlyArray<readonly [string, Quantity | undefined]> = [
    ['spec.domain.resources.requests.cpu', resources?.requests?.cpu],
    ['spec.domain.resources.limits.cpu', resources?.limits?.cpu],
  ];
  const found = candidates.find(([, v]) => v !== undefined);
  if (found === undefined || found[1] === undefined) return { sockets: 1, cores: 1, threads: 1 };
  const [field, value] = found;
  const cores = parsed(field, value, parseQuantity, CPU);
  if (!(cores > 0)) throw new SizingError(field, `"${String(value)}" is not a ${CPU}`);
  return { sockets: 1, cores, threads: 1 };
}

/** vCPUs: sockets × cores × threads of {@link cpuTopology}. */
export function vcpuCount(vmi: VirtualMachineInstance): number {
  const t = cpuTopology(vmi);
  return t.sockets * t.cores * t.threads;
}

/**
 * Guest memory in bytes: memory.guest, else resources.requests.memory, else resources.limits.memory,
 * else {@link DEFAULT_GUEST_MEMORY_BYTES}. Throws a {@link SizingError} naming the field it read when
 * that field is not a size of at least 1Mi.
 */
export function guestMemoryBytes(vmi: VirtualMachineInstance): number {
  const d = vmi.spec.domain;
  const candidates: ReadonlyArray<readonly [string, Quantity | undefined]> = [
    ['spec.domain.memory.guest', d.memory?.guest],
    ['spec.domain.resources.requests.memory', d.resources?.requests?.memory],
    ['spec.domain.resources.limits.memory', d.resources?.limits?.memory],
  ];
  const found = candidates.find(([, v]) => v !== undefined);
  if (found === undefined || found[1] === undefined) return DEFAULT_GUEST_MEMORY_BYTES;
  const [field, value] = found;
  const bytes = parsed(field, value, parseQuantity, MEMORY);
  if (!(bytes >= MIN_GUEST_MEMORY_BYTES)) throw new SizingError(field, `"${String(value)}" is not a ${MEMORY}`);
  return bytes;
}

/** The guest's CPU request in millicores: resources.requests.cpu, else vCPUs / ratio (rounded up). */
export function guestCpuRequestMillis(vmi: VirtualMachineInstance, cpuAllocationRatio: number): number {
  const request = vmi.spec.domain.resources?.requests?.cpu;
  if (request !== undefined) return parsed('spec.domain.resources.requests.cpu', request, parseMilliQuantity, CPU);
  return Math.ceil((vcpuCount(vmi) * 1000) / cpuAllocationRatio);
}

/** Memory as a quantity string: `Mi` when it divides evenly, plain bytes otherwise. */
function formatBytes(bytes: number): string {
  const whole = Math.ceil(bytes);
  return whole % 2 ** 20 === 0 ? `${whole / 2 ** 20}Mi` : String(whole);
}

export interface LauncherResources {
  readonly requests: Readonly<{ cpu: string; memory: string }>;
  readonly limits: Readonly<{ cpu?: string; memory: string }>;
}

/** The launcher Pod's requests and limits: the guest's size plus the launcher's overhead. */
export function launcherResources(
  vmi: VirtualMachineInstance,
  cpuAllocationRatio: number = DEFAULT_CPU_ALLOCATION_RATIO,
): LauncherResources {
  const guest = guestMemoryBytes(vmi);
  const memory = formatBytes(
    guest +
      LAUNCHER_MEMORY_OVERHEAD_BYTES +
      QEMU_MEMORY_OVERHEAD_BYTES +
      PER_VCPU_MEMORY_OVERHEAD_BYTES * vcpuCount(vmi) +
      guest / 512,
  );
  const millis = (m: number): string => `${m + LAUNCHER_CPU_OVERHEAD_MILLICORES}m`;
  const cpuLimit = vmi.spec.domain.resources?.limits?.cpu;
  return {
    requests: { cpu: millis(guestCpuRequestMillis(vmi, cpuAllocationRatio)), memory },
    limits: {
      ...(cpuLimit === undefined
        ? {}
        : { cpu: millis(parsed('spec.domain.resources.limits.cpu', cpuLimit, parseMilliQuantity, CPU)) }),
      memory,
    },
  };
}
