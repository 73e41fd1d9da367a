/**
 * `wait`'s work: follow each object until the --for check holds, all against one deadline (as
 * kubectl wait does), printing `virtualmachine.tsvirt.io/web condition met` per object.
 */
import { GROUP } from '../api/names.js';
import type { ApiClient } from '../kube/api-client.js';
import { evaluate, type WaitFor } from './wait-for.js';
import { waitUntil } from './wait-until.js';
import { selectVmNames } from './lifecycle.js';
import { formatDuration } from './duration.js';
import type { Target } from './targets.js';
import { VM_PLURAL } from '../api/names.js';

export interface WaitRequest {
  readonly namespace: string;
  readonly targets: readonly Target[];
  readonly selector: string | undefined;
  readonly forSpec: WaitFor;
  readonly timeoutMs: number;
}

const MET: Readonly<Record<WaitFor['kind'], string>> = {
  condition: 'condition met',
  jsonpath: 'condition met',
  delete: 'deleted',
};

export async function waitForEach(
  client: ApiClient,
  req: WaitRequest,
  out: (l: string) => void,
  err: (l: string) => void,
): Promise<boolean> {
  const selected =
    req.selector === undefined
      ? []
      : (await selectVmNames(client, req.namespace, req.selector)).map(
          (name) => ({ resource: VM_PLURAL, name }) as const,
        );
  const targets = [...req.targets, ...selected];
  const end = Date.now() + req.timeoutMs;
  let ok = true;
  for (const t of targets) {
    const left = Math.max(end - Date.now(), 1);
    const outcome = await waitUntil(
      client,
      { plural: t.resource, namespace: req.namespace, name: t.name },
      (o) => evaluate(req.forSpec, o),
      { timeoutMs: left },
    );
    const label = `${t.resource.replace(/s$/, '')}.${GROUP}/${t.name}`;
    if (outcome.met) out(`${label} ${MET[req.forSpec.kind]}`);
    else
      err(
        `error: timed out after ${formatDuration(req.timeoutMs)} waiting for the condition on ${label}; last seen: ${outcome.seen}`,
      );
    ok = ok && outcome.met;
  }
  return ok;
}
