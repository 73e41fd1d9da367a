/**
 * The virt-launcher Pod for a VMI (kubevirt pkg/virt-controller/services/template.go
 * RenderLaunchManifest, much reduced). The Pod holds the VM's place on a node: the scheduler
 * places it by its requests, the guest's size plus the launcher overhead (api/sizing.ts), so a
 * node never takes more VMs than it can hold. Pure.
 */
import { API_VERSION, COMPONENTS, LABELS, LAUNCHER_CONTAINER_NAME, LAUNCHER_IMAGE, VMI_KIND } from '../../api/names.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { gracePeriodSecondsOf } from '../../api/lifecycle.js';
import { launcherResources } from '../../api/sizing.js';
import { launcherPodName } from '../../api/object-names.js';
import { DEFAULT_CPU_ALLOCATION_RATIO } from '../../api/defaults.js';

/** Added to the VMI's grace period so the launcher outlives the handler's graceful stop (kubevirt adds 15 s). */
export const LAUNCHER_GRACE_MARGIN_SECONDS = 15;

/**
 * How the controller builds launcher Pods; `launcherCommand` is argv, e.g. [node, dist/virt-launcher.cjs].
 * `cpuAllocationRatio` is read at each build, as the cluster configuration may change.
 */
export type LauncherConfig = Readonly<{
  launcherCommand: readonly string[];
  image?: string;
  cpuAllocationRatio?: () => number;
  /**
   * The handlers' run folder on the nodes. Set, the launcher Pod mounts it (hostPath, same path) so
   * its container reaches the handler's socket; unset, the node runs launchers as processes (the
   * node agent) and hands them the socket itself.
   */
  handlerRunDir?: string;
}>;

const HANDLER_RUN_VOLUME = 'handler-run';

/** The hostPath volume and mount of the handler's run folder, when the config names one. */
function handlerRunMount(config: LauncherConfig): {
  volumes?: NonNullable<Pod['spec']>['volumes'];
  volumeMounts?: NonNullable<NonNullable<Pod['spec']>['containers'][number]['volumeMounts']>;
} {
  const dir = config.handlerRunDir;
  if (dir === undefined) return {};
  return {
    volumes: [{ name: HANDLER_RUN_VOLUME, hostPath: { path: dir, type: 'Directory' } }],
    volumeMounts: [{ name: HANDLER_RUN_VOLUME, mountPath: dir }],
  };
}

function launcherEnv(vmi: VirtualMachineInstance): NonNullable<NonNullable<Pod['spec']>['containers'][number]['env']> {
  return [
    { name: 'VMI_NAME', value: vmi.metadata.name ?? '' },
    { name: 'VMI_UID', value: vmi.metadata.uid ?? '' },
    { name: 'VMI_NAMESPACE', value: vmi.metadata.namespace ?? '' },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
}

export function launcherLabels(vmi: VirtualMachineInstance): Record<string, string> {
  return {
    ...vmi.metadata.labels,
    [LABELS.createdBy]: vmi.metadata.uid ?? '',
    [LABELS.vmiName]: vmi.metadata.name ?? '',
    [LABELS.component]: COMPONENTS.launcher,
  };
}

/** The launcher Pod for `vmi`. */
export function launcherPodFor(vmi: VirtualMachineInstance, config: LauncherConfig): Pod {
  const resources = launcherResources(vmi, config.cpuAllocationRatio?.() ?? DEFAULT_CPU_ALLOCATION_RATIO);
  const { volumes, volumeMounts } = handlerRunMount(config);
  const grace = gracePeriodSecondsOf(vmi) + LAUNCHER_GRACE_MARGIN_SECONDS;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: launcherPodName(vmi),
      namespace: vmi.metadata.namespace ?? '',
      labels: launcherLabels(vmi),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: VMI_KIND,
          name: vmi.metadata.name ?? '',
          uid: vmi.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      restartPolicy: 'Never',
      // The launcher has no Kubernetes credentials (DESIGN.md); it speaks only to its handler.
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: grace,
      ...(vmi.spec.nodeSelector === undefined ? {} : { nodeSelector: { ...vmi.spec.nodeSelector } }),
      containers: [
        {
          name: LAUNCHER_CONTAINER_NAME,
          image: config.image ?? LAUNCHER_IMAGE,
          command: [...config.launcherCommand],
          env: launcherEnv(vmi),
          resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
          // The launcher only talks to its handler's socket: it needs no privilege and writes no file.
          securityContext: {
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
          ...(volumeMounts === undefined ? {} : { volumeMounts }),
        },
      ],
      ...(volumes === undefined ? {} : { volumes }),
    },
  };
}
