/**
 * Checks on a VMI spec that are advice, not rules: the CRD accepts them (as KubeVirt does), and
 * `kubectl virt create` warns about them.
 */
import type { VirtualMachineInstanceSpec } from './generated/types.js';

/** Names of volumes no disk refers to, in spec order. They are allowed; the guest never sees them. */
export function unusedVolumes(spec: VirtualMachineInstanceSpec): ReadonlyArray<string> {
  const used = new Set((spec.domain.devices.disks ?? []).map((d) => d.name));
  return (spec.volumes ?? []).map((v) => v.name).filter((name) => !used.has(name));
}
