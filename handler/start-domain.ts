/**
 * Everything between "start this VMI" and a running domain: plan the domain (pure), make the
 * folders and image files it needs, check the host paths it names, define and start it. Errors
 * a schema cannot catch (a missing host path, a kernel libvirt cannot boot) come back as a
 * failed verdict naming the cause, which fails the VMI once: no hot retry loop.
 */
import { chmod, mkdir, open, stat } from 'node:fs/promises';
import { REASONS } from '../api/names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { HostFacts } from './domain/host-facts.js';
import type { PhaseVerdict } from './domain/state.js';
import { DomainSpecError, type DomainPlan, type HostFile, planDomain } from './domain/vmi-to-domain.js';
import { FOREIGN_DOMAIN, LibvirtCallError, type LibvirtConnection } from './libvirt/connection.js';
import { ImagePullError } from './containerdisk/cache.js';
import { ToolError } from './containerdisk/tools.js';
import { type NodeDiskContext, prepareNodeDisks } from './node-disks.js';

export type StartResult = Readonly<
  | { kind: 'started' }
  | { kind: 'busy'; owner: string }
  | { kind: 'failed'; verdict: PhaseVerdict }
  // Not final: the handler backs off and tries again (ErrImagePull, then ImagePullBackOff).
  | { kind: 'pull-failed'; message: string }
>;

export interface StartOptions {
  readonly node: string;
  readonly disks: NodeDiskContext;
}

const NO_NODE_DISKS: NodeDiskContext = {
  cache: undefined,
  pullSecret: (name) => Promise.reject(new ImagePullError(`cannot read pull secret ${name} on this node`)),
};

function failed(reason: string, message: string): StartResult {
  return { kind: 'failed', verdict: { phase: 'Failed', reason, message, paused: false } };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
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

function volumeField(vmi: VirtualMachineInstance, file: HostFile): string {
  const i = (vmi.spec.volumes ?? []).findIndex((v) => v.name === file.volume);
  return `spec.volumes[${i}].hostDisk.path`;
}

/** The first host path the domain needs that is not there, as a message naming the field. */
async function missingHostPath(
  vmi: VirtualMachineInstance,
  plan: DomainPlan,
  node: string,
): Promise<string | undefined> {
  const kb = vmi.spec.domain.firmware?.kernelBoot;
  const needed: ReadonlyArray<readonly [string, string | undefined]> = [
    ['spec.domain.firmware.kernelBoot.kernelPath', kb?.kernelPath],
    ['spec.domain.firmware.kernelBoot.initrdPath', kb?.initrdPath],
    ...plan.files.filter((f) => f.mode === 'exist').map((f) => [volumeField(vmi, f), f.path] as const),
  ];
  for (const [field, path] of needed) {
    if (path !== undefined && !(await exists(path))) return `${field}: ${path} does not exist on node ${node}`;
  }
  return undefined;
}

async function prepareHost(plan: DomainPlan): Promise<void> {
  for (const dir of plan.dirs) {
    await mkdir(dir, { recursive: true });
    // QEMU runs as its own user (libvirt-qemu, or the session user) and binds the serial socket here.
    await chmod(dir, 0o777);
  }
  for (const f of plan.files) if (f.mode === 'create' && f.bytes !== undefined) await ensureImage(f.path, f.bytes);
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
  plan: DomainPlan,
  libvirt: LibvirtConnection,
  disks: NodeDiskContext,
): Promise<StartResult> {
  try {
    await prepareHost(plan);
    await prepareNodeDisks(plan.files, disks);
    await libvirt.defineAndStart(plan.xml);
    return { kind: 'started' };
  } catch (e) {
    if (e instanceof ImagePullError) return { kind: 'pull-failed', message: e.message };
    if (e instanceof ToolError)
      return failed(REASONS.failedDefine, `Could not prepare the domain's disks: ${e.message}`);
    if (e instanceof LibvirtCallError) return failed(REASONS.failedCreate, e.message);
    if (e instanceof Error && 'code' in e && typeof e.code === 'string')
      return failed(REASONS.failedDefine, `Could not prepare the domain's files: ${e.message}`);
    throw e;
  }
}

/** Plans, prepares and starts the VMI's domain. Never throws for a VMI problem; libvirt being down throws. */
export async function prepareAndStart(
  vmi: VirtualMachineInstance,
  host: HostFacts,
  libvirt: LibvirtConnection,
  options: string | StartOptions = '',
): Promise<StartResult> {
  const { node, disks } = typeof options === 'string' ? { node: options, disks: NO_NODE_DISKS } : options;
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
  const missing = await missingHostPath(vmi, plan, node);
  if (missing !== undefined) return failed(REASONS.failedDefine, missing);
  return defineAndStart(plan, libvirt, disks);
}
