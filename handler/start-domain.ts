/**
 * Everything between "start this VMI" and a running domain: plan the domain (pure), check and pin
 * the host paths it names (host-paths/, the node's policy), make the folders and the disks the
 * handler owns (node-disks.ts: emptyDisk, containerDisk overlays, cloud-init ISOs), define and start it. Errors
 * a schema cannot catch (a missing host path, a kernel libvirt cannot boot) come back as a
 * failed verdict naming the cause, which fails the VMI once: no hot retry loop.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { REASONS } from '../api/names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { HostFacts } from './domain/host-facts.js';
import type { PhaseVerdict } from './domain/state.js';
import { DomainSpecError, type DomainPlan, planDomain } from './domain/vmi-to-domain.js';
import { FOREIGN_DOMAIN, LibvirtCallError, type LibvirtConnection } from './libvirt/connection.js';
import { admitHostPaths } from './host-paths/node-paths.js';
import type { NodePathPolicy } from './host-paths/policy.js';
import { ImagePullError } from './containerdisk/cache.js';
import { ToolError } from './containerdisk/tools.js';
import { CloudInitSecretError, type NodeDiskContext, prepareNodeDisks } from './node-disks.js';

export type StartResult = Readonly<
  | { kind: 'started' }
  | { kind: 'busy'; owner: string }
  | { kind: 'failed'; verdict: PhaseVerdict }
  // Not final: the handler backs off and tries again (ErrImagePull, then ImagePullBackOff).
  | { kind: 'pull-failed'; message: string }
>;

function failed(reason: string, message: string): StartResult {
  return { kind: 'failed', verdict: { phase: 'Failed', reason, message, paused: false } };
}

// Host disks were created (exclusively) and pinned by admitHostPaths; the handler's own disks
// (emptyDisk, containerDisk, cloud-init) are made by prepareNodeDisks. Only the folders are left.
async function prepareFolders(plan: DomainPlan): Promise<void> {
  for (const dir of plan.dirs) {
    await mkdir(dir, { recursive: true });
    // QEMU runs as its own user (libvirt-qemu, or the session user) and binds the serial socket here.
    await chmod(dir, 0o777);
  }
}

function planOrFailure(vmi: VirtualMachineInstance, host: HostFacts): DomainPlan | StartResult {
  try {
    return planDomain(vmi, host);
  } catch (e) {
    if (e instanceof DomainSpecError) return failed(REASONS.invalidSpec, e.message);
    throw e;
  }
}

/** What becomes of the domain's XML once its files are ready: defined and started, or only defined. */
type Install = (xml: string) => Promise<void>;

async function defineAndStart(plan: DomainPlan, install: Install, disks: NodeDiskContext): Promise<StartResult> {
  try {
    await prepareFolders(plan);
    await prepareNodeDisks(plan.files, disks);
    await install(plan.xml);
    return { kind: 'started' };
  } catch (e) {
    if (e instanceof ImagePullError) return { kind: 'pull-failed', message: e.message };
    // Final, unlike a pull: the VMI's cloud-init is fixed when its ISO is built (docs/api.md).
    if (e instanceof CloudInitSecretError)
      return failed(REASONS.failedDefine, `Could not build the cloud-init volume: ${e.message}`);
    if (e instanceof ToolError)
      return failed(REASONS.failedDefine, `Could not prepare the domain's disks: ${e.message}`);
    if (e instanceof LibvirtCallError) return failed(REASONS.failedCreate, e.message);
    if (e instanceof Error && 'code' in e && typeof e.code === 'string')
      return failed(REASONS.failedDefine, `Could not prepare the domain's files: ${e.message}`);
    throw e;
  }
}

export interface StartOptions {
  readonly node: string;
  /** The node's host-path policy now (roots resolved, the HostDisk gate as the cluster says). */
  readonly hostPaths: () => Promise<NodePathPolicy>;
  /** The containerDisk cache and the VMI's Secrets: the disks the handler makes in the run folder. */
  readonly disks: NodeDiskContext;
}

/** No containerDisk cache nor Secrets (a node or a test without them): a containerDisk fails to pull. */
export const NO_NODE_DISKS: NodeDiskContext = {
  cache: undefined,
  namespace: '',
  secret: (name) => Promise.reject(new ImagePullError(`cannot read Secret ${name} on this node`)),
};

/**
 * The VMI with its host paths checked and pinned (host-paths/node-paths.ts), planned again so the
 * domain names the pinned files; or the failure.
 */
async function planWithHostPaths(
  vmi: VirtualMachineInstance,
  host: HostFacts,
  opts: StartOptions,
): Promise<{ vmi: VirtualMachineInstance; plan: DomainPlan } | StartResult> {
  const admitted = await admitHostPaths(vmi, await opts.hostPaths(), opts.node).catch((e: unknown) => {
    // The handler's own folders or a link across file systems (EXDEV): the VMI cannot start as is.
    if (typeof e === 'object' && e !== null && 'code' in e && e instanceof Object && 'message' in e)
      return {
        kind: 'refused' as const,
        reason: REASONS.failedDefine,
        message: `Could not pin the host files: ${String(e.message)}`,
      };
    throw e;
  });
  if (admitted.kind === 'refused') return failed(admitted.reason, admitted.message);
  const plan = planOrFailure(admitted.vmi, host);
  return 'kind' in plan ? plan : { vmi: admitted.vmi, plan };
}

/** Plans, prepares and starts the VMI's domain. Never throws for a VMI problem; libvirt being down throws. */
export async function prepareAndStart(
  vmi: VirtualMachineInstance,
  host: HostFacts,
  libvirt: LibvirtConnection,
  opts: StartOptions,
): Promise<StartResult> {
  return prepare(vmi, host, libvirt, { ...opts, install: (xml) => libvirt.defineAndStart(xml) });
}

/**
 * A migration target's half: everything prepareAndStart does (this node's folders, pinned files,
 * disks and its own domain XML) but the start; the domain waits, defined, for the incoming guest.
 * `started` here means defined (or already defined for this VMI).
 */
export async function prepareAndDefine(
  vmi: VirtualMachineInstance,
  host: HostFacts,
  libvirt: LibvirtConnection,
  opts: StartOptions,
): Promise<StartResult> {
  return prepare(vmi, host, libvirt, { ...opts, install: (xml) => libvirt.define(xml) });
}

async function prepare(
  vmi: VirtualMachineInstance,
  host: HostFacts,
  libvirt: LibvirtConnection,
  opts: StartOptions & Readonly<{ install: Install }>,
): Promise<StartResult> {
  const node = opts.node;
  const plan = planOrFailure(vmi, host);
  if ('kind' in plan) return plan;
  const owner = await libvirt.ownerOf(plan.name);
  if (owner === vmi.metadata.uid) return { kind: 'started' };
  if (owner === FOREIGN_DOMAIN)
    return failed(
      REASONS.failedDefine,
      `A domain named ${plan.name} that tsvirt did not create exists on node ${node}`,
    );
  if (owner !== undefined) return { kind: 'busy', owner };
  const admitted = await planWithHostPaths(vmi, host, opts);
  if ('kind' in admitted) return admitted;
  return defineAndStart(admitted.plan, opts.install, opts.disks);
}
