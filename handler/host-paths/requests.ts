/**
 * The host paths a VMI names (hostDisk volumes, kernelBoot kernel and initrd), as requests for the
 * policy, and the VMI with those paths replaced by the ones the handler pinned. Pure.
 */
import { isQuantity, parseQuantity } from '../../api/quantity.js';
import type { KernelBoot, VirtualMachineInstance, Volume } from '../../api/types.js';
import type { PathRequest } from './policy.js';

export interface HostPathRequest extends PathRequest {
  /** The name of the handler's hard link (host-paths/node-paths.ts): unique within a VMI. */
  readonly pinName: string;
}

function createBytes(volume: Volume): number | undefined {
  const hd = volume.hostDisk;
  if (hd?.type !== 'DiskOrCreate' || hd.capacity === undefined || !isQuantity(hd.capacity)) return undefined;
  return Math.ceil(Number(parseQuantity(hd.capacity)));
}

/** Every host path the VMI names, in spec order: volumes first (all of them, used or not), then boot files. */
export function hostPathRequests(vmi: VirtualMachineInstance): ReadonlyArray<HostPathRequest> {
  const out: HostPathRequest[] = [];
  (vmi.spec.volumes ?? []).forEach((v, i) => {
    if (v.hostDisk === undefined) return;
    const bytes = createBytes(v);
    out.push({
      field: `spec.volumes[${i}].hostDisk.path`,
      path: v.hostDisk.path,
      use: 'hostDisk',
      pinName: `disk-${v.name}`,
      ...(bytes === undefined ? {} : { createBytes: bytes }),
    });
  });
  const kb = vmi.spec.domain.firmware?.kernelBoot;
  const boot = 'spec.domain.firmware.kernelBoot';
  if (kb?.kernelPath !== undefined)
    out.push({ field: `${boot}.kernelPath`, path: kb.kernelPath, use: 'boot', pinName: 'boot-kernel' });
  if (kb?.initrdPath !== undefined)
    out.push({ field: `${boot}.initrdPath`, path: kb.initrdPath, use: 'boot', pinName: 'boot-initrd' });
  return out;
}

function pinnedKernelBoot(kb: KernelBoot, paths: ReadonlyMap<string, string>): KernelBoot {
  const boot = 'spec.domain.firmware.kernelBoot';
  const kernelPath = kb.kernelPath === undefined ? undefined : (paths.get(`${boot}.kernelPath`) ?? kb.kernelPath);
  const initrdPath = kb.initrdPath === undefined ? undefined : (paths.get(`${boot}.initrdPath`) ?? kb.initrdPath);
  return {
    ...kb,
    ...(kernelPath === undefined ? {} : { kernelPath }),
    ...(initrdPath === undefined ? {} : { initrdPath }),
  };
}

/** The VMI with each requested path (by field) replaced; DiskOrCreate becomes Disk (the file exists now). */
export function withHostPaths(vmi: VirtualMachineInstance, paths: ReadonlyMap<string, string>): VirtualMachineInstance {
  const volumes = (vmi.spec.volumes ?? []).map((v, i) => {
    const path = paths.get(`spec.volumes[${i}].hostDisk.path`);
    return v.hostDisk === undefined || path === undefined ? v : { ...v, hostDisk: { path, type: 'Disk' as const } };
  });
  const firmware = vmi.spec.domain.firmware;
  const kb = firmware?.kernelBoot;
  const pinnedFirmware =
    firmware === undefined
      ? undefined
      : { ...firmware, ...(kb === undefined ? {} : { kernelBoot: pinnedKernelBoot(kb, paths) }) };
  return {
    ...vmi,
    spec: {
      ...vmi.spec,
      ...(vmi.spec.volumes === undefined ? {} : { volumes }),
      domain: { ...vmi.spec.domain, ...(pinnedFirmware === undefined ? {} : { firmware: pinnedFirmware }) },
    },
  };
}
