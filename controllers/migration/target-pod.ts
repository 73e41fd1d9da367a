/**
 * A migration's target launcher Pod: the VMI's own launcher Pod (./../vmi/launcher-pod.ts, same
 * requests, so the scheduler places it only where the guest fits) under the migration's name, kept
 * off the source node (kubevirt's target Pod has anti-affinity to the source). Pure.
 */
import { LABELS } from '../../api/names.js';
import { migrationTargetPodName } from '../../api/object-names.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { launcherPodFor, type LauncherConfig } from '../vmi/launcher-pod.js';

export function migrationTargetPodFor(
  vmi: VirtualMachineInstance,
  vmim: VirtualMachineInstanceMigration,
  config: LauncherConfig,
): Pod {
  const base = launcherPodFor(vmi, config);
  const source = vmi.status?.nodeName ?? '';
  return {
    ...base,
    metadata: {
      ...base.metadata,
      name: migrationTargetPodName(vmi.metadata.name ?? '', vmim.metadata.uid ?? ''),
      labels: { ...base.metadata?.labels, [LABELS.migrationUid]: vmim.metadata.uid ?? '' },
    },
    spec: {
      ...(base.spec ?? { containers: [] }),
      // By the Node's name, which every node has (a hostname label is the kubelet's, not the agent's).
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: [source] }] }],
          },
        },
      },
    },
  };
}
