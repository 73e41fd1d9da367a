/**
 * `get --watch` and the live view without a terminal: print the table once, then one row per
 * change, as `kubectl get -w` does. VMs are followed together with their VMIs (NODE and IP come
 * from the VMI); a row is printed only when its text changed. Runs until interrupted; when the
 * API server ends a watch (it does every few minutes) it lists again and carries on.
 */
import { VM_PLURAL, VMI_PLURAL } from '../../api/names.js';
import type { ApiClient } from '../../kube/api-client.js';
import { isGone } from '../../kube/errors.js';
import { listVmis, listVms, watchTsvirt, type ListOptions } from '../../kube/cli-resources.js';
import { formatTable } from '../printers/table.js';
import { vmHeaders, vmiHeaders, vmiRow, vmRow, withPaint, type RowOptions } from '../printers/vm-rows.js';
import type { GetRequest } from '../get-objects.js';
import { affectedKey, applyEvent, keyOf, type LiveEvent, type LiveState } from './state.js';
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

/** Watches the view's resources until `signal` aborts or a watch ends; calls onEvent per change. */
export interface LiveWatch {
  readonly resource: Resource;
  readonly list: ListOptions;
  readonly src: LiveSource;
  readonly signal: AbortSignal;
}

export async function watchForLive(client: ApiClient, w: LiveWatch, onEvent: (e: LiveEvent) => void): Promise<void> {
  const { resource, list, src, signal } = w;
  const resources: Resource[] = resource === VM_PLURAL ? [VM_PLURAL, VMI_PLURAL] : [VMI_PLURAL];
  const inner = new AbortController();
  signal.addEventListener('abort', () => inner.abort(), { once: true });
  const watchOne = (r: Resource): Promise<void> =>
    watchTsvirt(
      client,
      r,
      {
        ...(r === VMI_PLURAL && resource === VM_PLURAL ? vmiScopeOf(list) : list),
        resourceVersion: src.resourceVersions[r],
        signal: inner.signal,
      },
      (e) => {
        if (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED')
          onEvent({ resource: r, type: e.type, object: e.object });
      },
    );
  // When one watch ends or fails, end the other too, so the caller relists both from one point in
  // time and no watch of an older list goes on feeding events into a newer state.
  try {
    await Promise.race(resources.map((r) => watchOne(r)));
  } finally {
    inner.abort();
  }
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

export async function followChanges(
  client: ApiClient,
  req: GetRequest,
  write: (text: string) => void,
  signal: AbortSignal = new AbortController().signal,
): Promise<void> {
  const opts: RowOptions = {
    wide: req.output === 'wide',
    allNamespaces: req.list.allNamespaces === true,
    now: Date.now(),
    ...withPaint(await loadStyle()),
  };
  const { renderFetched } = await import('../get-objects.js');
  let src = await listForLive(client, req.resource, req.list);
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
  while (!signal.aborted) {
    let state = src.state;
    try {
      await watchForLive(client, { resource: req.resource, list: req.list, src, signal }, (e) => {
        state = applyEvent(state, e);
        const key = affectedKey(e);
        if (key !== undefined) show(state, key);
      });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
    src = await listForLive(client, req.resource, req.list);
  }
}
