/**
 * migrate and migrate-cancel: a VirtualMachineInstanceMigration created for a running VMI (virt-
 * controller and the two handlers do the moving), followed with a watch until it ends, or the
 * VMI's migration in progress deleted (the controller aborts it first; the guest stays where it was).
 */
import { API_VERSION, GROUP, VERSION, VMI_PLURAL, VMIM_KIND, VMIM_PLURAL } from '../api/names.js';
import { isMigrationPhaseFinal, notMigratableReason } from '../api/migration.js';
import {
  isVirtualMachineInstance,
  isVirtualMachineInstanceMigration,
  type VirtualMachineInstanceMigration,
} from '../api/types.js';
import type { ApiClient } from '../kube/api-client.js';
import { isNotFound } from '../kube/errors.js';
import { CommandFailure } from './errors.js';

const base = (ns: string): string => `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(ns)}`;
const migrationsPath = (ns: string): string => `${base(ns)}/${VMIM_PLURAL}`;

/** `<phase>` or `Failed (<reason>: <message>)`, for progress lines and the end. */
export function describeMigration(m: VirtualMachineInstanceMigration | undefined): string {
  const s = m?.status;
  if (s?.phase === undefined) return 'Pending';
  if (s.phase !== 'Failed') return s.phase;
  return `Failed (${s.reason ?? 'Unknown'}: ${s.message ?? 'no message'})`;
}

/** The line `migrate --wait` ends with, and whether the migration succeeded. */
export function migrationOutcome(
  m: VirtualMachineInstanceMigration | undefined,
  o: Readonly<{ vmi: string; timeout: string; ms: number }>,
): Readonly<{ ok: boolean; line: string }> {
  const s = m?.status;
  const id = m?.metadata.name ?? '';
  if (s?.phase === 'Succeeded') {
    const secs = (o.ms / 1000).toFixed(1);
    return {
      ok: true,
      line: `VMI ${o.vmi} migrated from ${s.sourceNode ?? '?'} to ${s.targetNode ?? '?'} in ${secs}s`,
    };
  }
  if (s?.phase === 'Failed')
    return {
      ok: false,
      line: `error: migration ${id} of VMI ${o.vmi} ${describeMigration(m)}; the guest runs on where it was`,
    };
  return {
    ok: false,
    line: `error: timed out after ${o.timeout} waiting for migration ${id}; last seen: ${describeMigration(m)}`,
  };
}

/** Creates the migration of VMI `name`; refused here, with nothing created, when the VMI cannot move. */
export async function createMigration(
  client: ApiClient,
  namespace: string,
  name: string,
): Promise<VirtualMachineInstanceMigration> {
  let vmi: unknown;
  try {
    vmi = await client.request({ path: `${base(namespace)}/${VMI_PLURAL}/${encodeURIComponent(name)}` });
  } catch (err) {
    if (isNotFound(err))
      throw new CommandFailure(
        `VMI ${name} does not exist in ${namespace} namespace: only a running VM can migrate`,
        `Start it first: kubectl virt start ${name} --wait`,
      );
    throw err;
  }
  if (!isVirtualMachineInstance(vmi)) throw new CommandFailure(`the API server sent something else for VMI ${name}`);
  const why = notMigratableReason(vmi);
  if (why !== undefined) throw new CommandFailure(`cannot migrate VMI ${name}: ${why}`);
  const created = await client.request({
    method: 'POST',
    path: migrationsPath(namespace),
    body: {
      apiVersion: API_VERSION,
      kind: VMIM_KIND,
      metadata: { generateName: `${name}-migration-`, namespace },
      spec: { vmiName: name },
    },
  });
  if (!isVirtualMachineInstanceMigration(created))
    throw new CommandFailure('the API server sent something else for the new migration');
  return created;
}

/** Follows the migration with a watch until it is Succeeded or Failed, or the deadline passes. */
export async function waitForMigration(
  client: ApiClient,
  namespace: string,
  name: string,
  o: Readonly<{ timeoutMs: number; onSeen: (seen: string) => void }>,
): Promise<VirtualMachineInstanceMigration | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  let last: VirtualMachineInstanceMigration | undefined;
  let seen = '';
  const see = (m: VirtualMachineInstanceMigration): boolean => {
    last = m;
    const now = describeMigration(m);
    if (now !== seen) o.onSeen(now);
    seen = now;
    return isMigrationPhaseFinal(m.status?.phase);
  };
  while (Date.now() < deadline) {
    const got = await client.request({ path: `${migrationsPath(namespace)}/${encodeURIComponent(name)}` });
    if (!isVirtualMachineInstanceMigration(got)) return last;
    if (see(got)) return got;
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    let done = false;
    const ended = new AbortController();
    // The watch ends when the server closes it (it is resumed with a fresh read), or at the deadline.
    await client
      .watch(
        {
          path: migrationsPath(namespace),
          query: {
            watch: 'true',
            fieldSelector: `metadata.name=${name}`,
            resourceVersion: got.metadata.resourceVersion,
            timeoutSeconds: String(Math.max(1, Math.ceil((deadline - Date.now()) / 1000))),
          },
          signal: AbortSignal.any([signal, ended.signal]),
        },
        (e) => {
          if (done || !isVirtualMachineInstanceMigration(e.object)) return;
          if (see(e.object)) {
            done = true;
            ended.abort();
          }
        },
      )
      .catch((err: unknown) => {
        if (!done && !signal.aborted) throw err;
      });
    if (done) return last;
  }
  return last;
}

/** The VMI's migration that has not ended, if any. */
async function activeMigrationOf(
  client: ApiClient,
  namespace: string,
  vmiName: string,
): Promise<VirtualMachineInstanceMigration | undefined> {
  const list = (await client.request({ path: migrationsPath(namespace) })) as { items?: unknown[] };
  return (list.items ?? [])
    .filter(isVirtualMachineInstanceMigration)
    .find((m) => m.spec.vmiName === vmiName && !isMigrationPhaseFinal(m.status?.phase));
}

/** Deletes the VMI's migration in progress; the controller aborts it before it goes. Returns its name. */
export async function cancelMigration(client: ApiClient, namespace: string, vmiName: string): Promise<string> {
  const m = await activeMigrationOf(client, namespace, vmiName);
  if (m === undefined)
    throw new CommandFailure(
      `VMI ${vmiName} has no migration in progress in ${namespace} namespace`,
      `kubectl get vmim -n ${namespace} lists its migrations`,
    );
  const name = m.metadata.name ?? '';
  await client.request({ method: 'DELETE', path: `${migrationsPath(namespace)}/${encodeURIComponent(name)}` });
  return name;
}
