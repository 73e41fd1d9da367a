/**
 * The steps that change a domain (shutdown, destroy, undefine) and the clean-up of a uid that is
 * done with (forget). A domain's run folder goes before its name is freed: once the name is free,
 * a new VMI of the same name may prepare the same folder.
 */
import { rm } from 'node:fs/promises';
import type { Observation } from '../observe.js';
import type { ShutdownVia, Step } from '../sync/decide.js';
import { afterShutdown, FRESH_MEMORY } from '../sync/after-step.js';
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
    case 'shutdown': {
      const via = await shutdownGuest(ctx, name, step.via, fields);
      ctx.memory.set(uid, afterShutdown(ctx.memory.get(uid) ?? FRESH_MEMORY, ctx.now(), via));
      // The ACPI line is the one the handler always logged (tests and operators grep it).
      ctx.log.info(
        { ...fields, why: step.why, via },
        via === 'agent' ? 'Asked the guest to shut down' : 'Sent the domain an ACPI shutdown',
      );
      return;
    }
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

/** Through the agent when asked to; ACPI when that fails (its shutdown command may refuse). Returns the way used. */
async function shutdownGuest(ctx: StepContext, name: string, via: ShutdownVia, fields: object): Promise<ShutdownVia> {
  if (via === 'agent') {
    try {
      await ctx.libvirt.agentShutdown(name);
      return 'agent';
    } catch (err) {
      ctx.log.warn({ ...fields, err }, 'The guest agent could not shut the guest down; pressing ACPI power');
    }
  }
  await ctx.libvirt.shutdown(name);
  return 'acpi';
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
  ctx.podIPs?.forget(uid);
}

async function removeRunFolder(ctx: StepContext, name: string): Promise<void> {
  if (!isRunFolderName(name)) return;
  await rm(`${ctx.host.runDir}/${name}`, { recursive: true, force: true });
}
