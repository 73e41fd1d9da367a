/**
 * How `get` and `list` print what fetch-objects.ts read: a table (kubectl's columns and
 * alignment), or -o json|yaml|name as kubectl prints them.
 */
import { VM_PLURAL } from '../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../api/types.js';
import { renderObjects } from './printers/objects.js';
import { vmiTable, vmTable, withPaint, type RowOptions } from './printers/vm-rows.js';
import { loadStyle } from './style.js';
import type { Fetched, GetRequest } from './fetch-objects.js';

export { fetchObjects, type Fetched, type GetRequest } from './fetch-objects.js';

export interface Rendered {
  readonly stdout: string;
  /** kubectl's "No resources found in X namespace." goes to stderr. */
  readonly stderr: string;
}

/** kubectl-style warning for listed items that were left out, so none vanishes without a word. */
export function skippedWarning(req: GetRequest, skipped: readonly string[] | undefined): string {
  if (skipped === undefined || skipped.length === 0) return '';
  return `Warning: the API server sent ${skipped.length} ${req.resource} item(s) that are not readable as such, not shown: ${skipped.join(', ')}\n`;
}

export async function renderFetched(req: GetRequest, fetched: Fetched, now: number): Promise<Rendered> {
  const rendered = await renderObjectsOf(req, fetched, now);
  const warning = skippedWarning(req, fetched.skipped);
  return warning === '' ? rendered : { ...rendered, stderr: warning + rendered.stderr };
}

async function renderObjectsOf(req: GetRequest, fetched: Fetched, now: number): Promise<Rendered> {
  const objects: readonly (VirtualMachine | VirtualMachineInstance)[] =
    req.resource === VM_PLURAL ? fetched.vms : fetched.vmis;
  if (req.output === 'json' || req.output === 'yaml' || req.output === 'name') {
    return { stdout: await renderObjects(objects, req.output, req.names.length === 1), stderr: '' };
  }
  if (objects.length === 0) {
    const where = req.list.allNamespaces === true ? '' : ` in ${req.list.namespace} namespace`;
    return { stdout: '', stderr: `No resources found${where}.\n` };
  }
  const opts: RowOptions = {
    wide: req.output === 'wide',
    allNamespaces: req.list.allNamespaces === true,
    now,
    ...withPaint(await loadStyle()),
  };
  return {
    stdout: req.resource === VM_PLURAL ? vmTable(fetched.vms, fetched.vmis, opts) : vmiTable(fetched.vmis, opts),
    stderr: '',
  };
}
