/**
 * pause, unpause and soft-reboot: one PUT on the VMI's subresource in subresources.tsvirt.io;
 * virt-api forwards it to the handler on the VMI's node. A refusal (409: "VMI is already paused",
 * "VMI is not running") is one error line, and the other named VMs still get theirs.
 */
import { VMI_PLURAL } from '../api/names.js';
import { subresourcePath, type VmiVerb } from '../api/subresources.js';
import { KubeApiError } from '../kube/errors.js';
import type { ApiClient } from '../kube/api-client.js';
import { reportError } from './errors.js';
import { throughVirtApi } from './virt-api-absent.js';

const DONE: Readonly<Record<VmiVerb, string>> = {
  pause: 'was paused',
  unpause: 'was unpaused',
  softreboot: 'was asked to reboot',
};
const ING: Readonly<Record<VmiVerb, string>> = { pause: 'pausing', unpause: 'unpausing', softreboot: 'rebooting' };

/** Runs the verb on every name; true when all succeeded. */
export async function runVmiVerb(
  client: ApiClient,
  namespace: string,
  names: readonly string[],
  o: Readonly<{ verb: VmiVerb; out: (l: string) => void; err: (l: string) => void }>,
): Promise<boolean> {
  let ok = true;
  for (const name of names) {
    try {
      await throughVirtApi(() =>
        client.request({ method: 'PUT', path: subresourcePath(VMI_PLURAL, namespace, name, o.verb), body: {} }),
      );
      o.out(`VMI ${name} ${DONE[o.verb]}`);
    } catch (err) {
      ok = false;
      reportOne(err, name, names.length === 1, o);
    }
  }
  return ok;
}

function reportOne(
  err: unknown,
  name: string,
  alone: boolean,
  o: Readonly<{ verb: VmiVerb; err: (l: string) => void }>,
): void {
  if (err instanceof KubeApiError && err.code === 409)
    return o.err(`error: ${ING[o.verb]} VMI ${name}: ${err.message}`);
  // With one VM the command's own error handling prints it (with --verbose's stack); with several, go on.
  if (alone) throw err;
  for (const line of reportError(err, false).lines) o.err(line);
}
