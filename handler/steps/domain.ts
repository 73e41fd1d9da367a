/**
 * The steps that change a domain (shutdown, destroy, undefine) and the clean-up of a uid that is
 * done with (forget). A domain's run folder goes before its name is freed: once the name is free,
 * a new VMI of the same name may prepare the same folder.
 */
import { rm } from 'node:fs/promises';
import type { Observation } from '../observe.js';
import type { Step } from '../sync/decide.js';
import { afterAcpi, FRESH_MEMORY } from '../sync/after-step.js';
import { isRunFolderName, vmiRefOfDomain } from '../sync/subject.js';
import { unpinHostFiles } from '../host-paths/node-paths.js';
import { type StepContext, vmiFields } from './context.js';

export async function changeDomain(
  ctx: StepContext,
  uid: string,
  { view, name: domain }: Observation,
  step: Extract<Step, { kind: 'shutdown' | 'destroy' | 'undefine' }>,
): Promise<void> {
  const name = domain ?? '';
  const fields = { ...vmiFields(uid, view.vmi), domain: name };
  switch (step.kind) {
    case 'shutdown':
      await ctx.libvirt.shutdown(name);
      ctx.memory.set(uid, afterAcpi(ctx.memory.get(uid) ?? FRESH_MEMORY, ctx.now()));
      ctx.log.info({ ...fields, why: step.why }, 'Sent the domain an ACPI shutdown');
      return;
    case 'destroy':
      await ctx.libvirt.destroy(name);
      ctx.log.info({ ...fields, why: step.why }, 'Destroyed the domain');
      return;
    case 'undefine':
      await removeRunFolder(ctx, name);
      await ctx.libvirt.undefine(name);
      await unpinHostFiles(await ctx.hostPaths(), uid);
      ctx.log.info(fields, 'Undefined the domain');
      return;
    default:
      return step satisfies never;
  }
}

/**
 * The forget step: what the handler kept about the uid goes. A VMI that never got a domain (its
 * pull failed, it was deleted while pulling) still has a run folder with its disks; it goes when
 * the VMI does, unless a new VMI of that name took it over.
 */
export async function forget(ctx: StepContext, uid: string, domain: string | undefined): Promise<void> {
  const ref = domain === undefined ? undefined : vmiRefOfDomain(domain);
  if (domain !== undefined && (ref === undefined || ctx.vmis.get(ref.namespace, ref.name) === undefined))
    await removeRunFolder(ctx, domain);
  ctx.memory.delete(uid);
  ctx.ownWrites.forget(uid);
  ctx.launchers.forget(uid);
}

async function removeRunFolder(ctx: StepContext, name: string): Promise<void> {
  if (!isRunFolderName(name)) return;
  await rm(`${ctx.host.runDir}/${name}`, { recursive: true, force: true });
}
