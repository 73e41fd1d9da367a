/**
 * `get --watch` and the live view without a terminal: print the table once, then one row per
 * change, as `kubectl get -w` does. VMs are followed together with their VMIs (NODE and IP come
 * from the VMI); a row is printed only when its text changed. Runs until interrupted, over
 * kube/list-watch.ts: a watch the API server ends is resumed where it was, a lost connection is
 * retried with backoff while stderr says "reconnecting…", and after 410 Gone the rows a fresh list
 * shows changed are printed, so no change goes unseen.
 */
import { VM_PLURAL, VMI_PLURAL } from '../../api/names.js';
import type { ApiClient } from '../../kube/api-client.js';
import { listVmis, listVms, type ListOptions } from '../../kube/cli-resources.js';
import { formatTable } from '../printers/table.js';
import { vmHeaders, vmiHeaders, vmiRow, vmRow, withPaint, type RowOptions } from '../printers/vm-rows.js';
import type { GetRequest } from '../get-objects.js';
import { keyOf, type LiveState } from './state.js';
import { followState, reconnectingText } from './reconnect.js';
import type { Resource } from '../targets.js';
import { loadStyle } from '../style.js';
import { vmiScopeOf } from '../list-options.js';

export interface LiveSource {
  readonly state: LiveState;
  readonly resourceVersions: Readonly<Record<Resource, string>>;
}

/** Lists what the view shows: VMs and their VMIs, or VMIs alone. */
export async function listForLive(client: ApiClient, resource: Resource, list: ListOptions): Promise<LiveSource> {
  const vmiScope = vmiScopeOf(list);
  const [vms, vmis] = await Promise.all([
    resource === VM_PLURAL ? listVms(client, list) : Promise.resolve({ items: [], resourceVersion: '' }),
    listVmis(client, resource === VM_PLURAL ? vmiScope : list),
  ]);
  const state: LiveState = {
    vms: new Map(vms.items.map((v) => [keyOf(v), v])),
    vmis: new Map(vmis.items.map((v) => [keyOf(v), v])),
  };
  return { state, resourceVersions: { [VM_PLURAL]: vms.resourceVersion, [VMI_PLURAL]: vmis.resourceVersion } };
}

export function rowLines(resource: Resource, state: LiveState, key: string, opts: RowOptions): string | undefined {
  if (resource === VM_PLURAL) {
    const vm = state.vms.get(key);
    return vm === undefined
      ? undefined
      : formatTable(vmHeaders(opts), [vmRow(vm, state.vmis.get(key), opts)]).split('\n')[1];
  }
  const vmi = state.vmis.get(key);
  return vmi === undefined ? undefined : formatTable(vmiHeaders(opts), [vmiRow(vmi, opts)]).split('\n')[1];
}

export type FollowOptions = Readonly<{
  signal?: AbortSignal;
  /** Where "reconnecting…" goes: stderr unless told, since stdout is the rows. */
  warn?: (line: string) => void;
}>;

export async function followChanges(
  client: ApiClient,
  req: GetRequest,
  write: (text: string) => void,
  fopts: FollowOptions = {},
): Promise<void> {
  const opts: RowOptions = {
    wide: req.output === 'wide',
    allNamespaces: req.list.allNamespaces === true,
    now: Date.now(),
    ...withPaint(await loadStyle()),
  };
  const warn = fopts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { renderFetched } = await import('../get-objects.js');
  // A failure of the first list ends the command (exit 1), as kubectl get -w does; later ones are retried.
  const src = await listForLive(client, req.resource, req.list);
  const printed = new Map<string, string>();
  const show = (s: LiveState, key: string): void => {
    const line = rowLines(req.resource, s, key, { ...opts, now: Date.now() });
    if (line !== undefined && printed.get(key) !== line) write(line + '\n');
    if (line !== undefined) printed.set(key, line);
  };
  const first = await renderFetched(
    req,
    { vms: [...src.state.vms.values()], vmis: [...src.state.vmis.values()] },
    Date.now(),
  );
  write(first.stdout);
  for (const key of req.resource === VM_PLURAL ? src.state.vms.keys() : src.state.vmis.keys())
    printed.set(key, rowLines(req.resource, src.state, key, opts) ?? '');
  await followState(
    client,
    {
      resource: req.resource,
      list: req.list,
      signal: fopts.signal ?? new AbortController().signal,
      first: Promise.resolve(src),
    },
    {
      change: (s, keys) => {
        for (const key of keys) show(s, key);
      },
      status: (l) => {
        if (l.kind === 'reconnecting') warn(reconnectingText(l));
      },
    },
  );
}
