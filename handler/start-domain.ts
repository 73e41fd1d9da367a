/**
 * Everything between "start this VMI" and a running domain: plan the domain (pure), check and pin
 * the host paths it names (host-paths/, the node's policy), make the folders and emptyDisk images
 * it needs, define and start it. Errors
 * a schema cannot catch (a missing host path, a kernel libvirt cannot boot) come back as a
 * failed verdict naming the cause, which fails the VMI once: no hot retry loop.
 */
import { chmod, mkdir, open } from 'node:fs/promises';
import { REASONS } from '../api/names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { HostFacts } from './domain/host-facts.js';
import type { PhaseVerdict } from './domain/state.js';
import { DomainSpecError, type DomainPlan, planDomain } from './domain/vmi-to-domain.js';
import { FOREIGN_DOMAIN, LibvirtCallError, type LibvirtConnection } from './libvirt/connection.js';
import { admitHostPaths } from './host-paths/node-paths.js';
import type { NodePathPolicy } from './host-paths/policy.js';

export type StartResult = Readonly<
  { kind: 'started' } | { kind: 'busy'; owner: string } | { kind: 'failed'; verdict: PhaseVerdict }
>;

function failed(reason: string, message: string): StartResult {
  return { kind: 'failed', verdict: { phase: 'Failed', reason, message, paused: false } };
}

/** Creates a sparse raw image of `bytes` when the file is missing (or shorter). */
async function ensureImage(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'a');
  try {
    const { size } = await handle.stat();
    if (size < bytes) await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}

async function prepareHost(vmi: VirtualMachineInstance, plan: DomainPlan): Promise<void> {
  for (const dir of plan.dirs) {
    await mkdir(dir, { recursive: true });
    // QEMU runs as its own user (libvirt-qemu, or the session user) and binds the serial socket here.
    await chmod(dir, 0o777);
  }
  // emptyDisk images only: host disks were created (exclusively) and pinned by admitHostPaths.
  const hostDisks = new Set((vmi.spec.volumes ?? []).filter((v) => v.hostDisk !== undefined).map((v) => v.name));
  for (const f of plan.files)
    if (f.mode === 'create' && f.bytes !== undefined && !hostDisks.has(f.volume)) await ensureImage(f.path, f.bytes);
}

function planOrFailure(vmi: VirtualMachineInstance, host: HostFacts): DomainPlan | StartResult {
  try {
    return planDomain(vmi, host);
  } catch (e) {
    if (e instanceof DomainSpecError) return failed(REASONS.invalidSpec, e.message);
    throw e;
  }
}

async function defineAndStart(
  vmi: VirtualMachineInstance,
  plan: DomainPlan,
  libvirt: LibvirtConnection,
): Promise<StartResult> {
  try {
    await prepareHost(vmi, plan);
    await libvirt.defineAndStart(plan.xml);
    return { kind: 'started' };
  } catch (e) {
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
}

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
  return defineAndStart(admitted.vmi, admitted.plan, libvirt);
}
