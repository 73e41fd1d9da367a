/**
 * `delete`'s work: one DELETE per VM (Foreground, so the VMI goes before the VM and `--wait`
 * returns only when nothing is left), kubectl's output lines, and an optional wait until gone.
 */
import { GROUP } from '../api/names.js';
import type { ApiClient } from '../kube/api-client.js';
import { isNotFound } from '../kube/errors.js';
import { deleteObject, type Plural } from '../kube/cli-resources.js';
import { formatDuration } from './duration.js';
import { reportError } from './errors.js';
import { evaluate } from './wait-for.js';
import { waitUntil } from './wait-until.js';

export interface DeleteOptions {
  readonly plural: Plural;
  readonly namespace: string;
  readonly ignoreNotFound: boolean;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly nameOnly: boolean;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const singular = (plural: Plural): string => plural.replace(/s$/, '');

async function deleteOne(client: ApiClient, name: string, o: DeleteOptions): Promise<boolean> {
  try {
    await deleteObject(client, { plural: o.plural, namespace: o.namespace, name }, { propagationPolicy: 'Foreground' });
  } catch (err) {
    if (o.ignoreNotFound && isNotFound(err)) return true;
    throw err;
  }
  o.out(o.nameOnly ? `${singular(o.plural)}.${GROUP}/${name}` : `${singular(o.plural)}.${GROUP} "${name}" deleted`);
  if (!o.wait) return true;
  const outcome = await waitUntil(
    client,
    { plural: o.plural, namespace: o.namespace, name },
    (obj) => evaluate({ kind: 'delete' }, obj),
    { timeoutMs: o.timeoutMs },
  );
  if (!outcome.met)
    o.err(
      `error: timed out after ${formatDuration(o.timeoutMs)} waiting for ${name} to be deleted; it ${outcome.seen}`,
    );
  return outcome.met;
}

export async function deleteEach(client: ApiClient, names: readonly string[], o: DeleteOptions): Promise<boolean> {
  let ok = true;
  for (const name of names) {
    try {
      ok = (await deleteOne(client, name, o)) && ok;
    } catch (err) {
      if (names.length === 1) throw err;
      for (const line of reportError(err, false).lines) o.err(line);
      ok = false;
    }
  }
  return ok;
}
