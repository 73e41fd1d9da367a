/**
 * The virt-launcher Pod for a VMI (kubevirt pkg/virt-controller/services/template.go
 * RenderLaunchManifest, much reduced). The Pod holds the VM's place on a node: the scheduler
 * places it by its requests, which are the guest's CPU and memory plus the launcher overhead
 * below, so a node never takes more VMs than it can hold. Pure.
 *
 * Launcher overhead, added to requests and limits (kubevirt computes the same kind of sum in
 * services/renderresources.go GetMemoryOverhead):
 * - CPU: {@link LAUNCHER_CPU_OVERHEAD_MILLICORES} (10m): the launcher is idle but for socket traffic;
 *   QEMU's own threads are counted in the guest's vCPUs.
 * - memory: {@link LAUNCHER_MEMORY_OVERHEAD_BYTES} (48 MiB, the virt-launcher process; DESIGN.md
 *   targets ≤ 45 MB RSS) + {@link QEMU_MEMORY_OVERHEAD_BYTES} (32 MiB, QEMU's fixed cost: code,
 *   firmware, video memory) + 8 MiB per vCPU (thread stacks, vCPU state) + guest memory / 512
 *   (the guest's page tables).
 * Requests equal limits, so the Pod is in the Guaranteed QoS class, as a VM's memory cannot be
 * reclaimed without harming the guest.
 */
import { API_VERSION, COMPONENTS, LABELS, LAUNCHER_CONTAINER_NAME, LAUNCHER_IMAGE, VMI_KIND } from '../../api/names.js';
import type { Quantity, VirtualMachineInstance } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { parseMilliQuantity, parseQuantity } from '../../api/quantity.js';

export const LAUNCHER_CPU_OVERHEAD_MILLICORES = 10;
export const LAUNCHER_MEMORY_OVERHEAD_BYTES = 48 * 2 ** 20;
export const QEMU_MEMORY_OVERHEAD_BYTES = 32 * 2 ** 20;
export const PER_VCPU_MEMORY_OVERHEAD_BYTES = 8 * 2 ** 20;
/** Guest memory when the VMI names none (KubeVirt has no default; ours keeps tiny test VMs tiny). */
export const DEFAULT_GUEST_MEMORY_BYTES = 128 * 2 ** 20;
/** The VMI's grace period when it names none (the Kubernetes Pod default). */
export const DEFAULT_VMI_GRACE_SECONDS = 30;
/** Added to the VMI's grace period so the launcher outlives the handler's graceful stop (kubevirt adds 15 s). */
export const LAUNCHER_GRACE_MARGIN_SECONDS = 15;

/** How the controller builds launcher Pods; `launcherCommand` is argv, e.g. [node, dist/virt-launcher.cjs]. */
export type LauncherConfig = Readonly<{
  launcherCommand: readonly string[];
  image?: string;
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

/** A quantity through api/quantity.ts, or undefined when absent (the CRD's CEL rules vetted it). */
function quantity(q: Quantity | undefined, parse: (q: Quantity) => bigint): number | undefined {
  if (q === undefined) return undefined;
  try {
    return Number(parse(q));
  } catch {
    return undefined;
  }
}

/** vCPUs: cores × sockets × threads, each 1 when unset. */
export function vcpuCount(vmi: VirtualMachineInstance): number {
  const cpu = vmi.spec.domain.cpu;
  return (cpu?.cores ?? 1) * (cpu?.sockets ?? 1) * (cpu?.threads ?? 1);
}

/** The CPU the guest asks the scheduler for, in millicores: resources.requests.cpu, else its vCPUs. */
export function guestMilliCpu(vmi: VirtualMachineInstance): number {
  return quantity(vmi.spec.domain.resources?.requests?.cpu, parseMilliQuantity) ?? vcpuCount(vmi) * 1000;
}

/** Guest memory in bytes: memory.guest, else resources.requests.memory, else the default. */
export function guestMemoryBytes(vmi: VirtualMachineInstance): number {
  const d = vmi.spec.domain;
  return (
    quantity(d.memory?.guest, parseQuantity) ??
    quantity(d.resources?.requests?.memory, parseQuantity) ??
    DEFAULT_GUEST_MEMORY_BYTES
  );
}

/** Memory as a quantity string: `Mi` when it divides evenly, plain bytes otherwise. */
function formatBytes(bytes: number): string {
  const whole = Math.ceil(bytes);
  return whole % 2 ** 20 === 0 ? `${whole / 2 ** 20}Mi` : String(whole);
}

/** The launcher Pod's CPU and memory (requests = limits): guest plus overhead. */
export function launcherResources(vmi: VirtualMachineInstance): { cpu: string; memory: string } {
  const guest = guestMemoryBytes(vmi);
  const memory =
    guest +
    LAUNCHER_MEMORY_OVERHEAD_BYTES +
    QEMU_MEMORY_OVERHEAD_BYTES +
    PER_VCPU_MEMORY_OVERHEAD_BYTES * vcpuCount(vmi) +
    guest / 512;
  return { cpu: `${guestMilliCpu(vmi) + LAUNCHER_CPU_OVERHEAD_MILLICORES}m`, memory: formatBytes(memory) };
}

const POD_NAME_MAX = 63;

/**
 * `virt-launcher-<vmi>-<first 8 of the VMI uid>`: deterministic, so a create repeated from a stale
 * cache is a 409 AlreadyExists, and different for each incarnation of a VMI name. Kept to 63
 * characters so it can serve as a hostname too.
 */
export function launcherPodName(vmi: VirtualMachineInstance): string {
  const suffix = `-${(vmi.metadata.uid ?? '').replace(/-/g, '').slice(0, 8)}`;
  const prefix = 'virt-launcher-';
  const name = (vmi.metadata.name ?? '').slice(0, POD_NAME_MAX - prefix.length - suffix.length).replace(/[-.]+$/, '');
  return `${prefix}${name}${suffix}`;
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
  const resources = launcherResources(vmi);
  const { volumes, volumeMounts } = handlerRunMount(config);
  const grace = (vmi.spec.terminationGracePeriodSeconds ?? DEFAULT_VMI_GRACE_SECONDS) + LAUNCHER_GRACE_MARGIN_SECONDS;
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
          resources: { requests: { ...resources }, limits: { ...resources } },
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
