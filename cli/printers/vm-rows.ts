/**
 * Table rows for VMs and VMIs: NAME AGE STATUS READY NODE IP (VMIs: PHASE for STATUS), with
 * NAMESPACE first under -A and RUNSTRATEGY, CPU, MEMORY added by -o wide. A VM's NODE and IP
 * come from its VMI, so `list` needs both lists; a stopped VM shows `<none>` there.
 */
import type { ChalkInstance } from 'chalk';
import type { CPU, VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceSpec } from '../../api/types.js';
import { CONDITION_TYPES } from '../../api/names.js';
import { liveVmi, runStrategyOf } from '../../api/lifecycle.js';
import { age } from './age.js';
import { byteOrder, formatTable, type Row } from './table.js';
import { statusPaint } from '../style.js';

export interface RowOptions {
  readonly wide: boolean;
  readonly allNamespaces: boolean;
  readonly now: number;
  /** Colours STATUS; omitted, nothing is coloured. */
  readonly paint?: ChalkInstance;
}

const NONE = '<none>';

/** `{ paint }` when there is a chalk instance, `{}` when output is plain. */
export const withPaint = (c: ChalkInstance | undefined): Pick<RowOptions, 'paint'> =>
  c === undefined ? {} : { paint: c };

function withScope(opts: RowOptions, namespace: string | undefined, cells: Row, wideCells: Row): Row {
  const scoped = opts.allNamespaces ? [namespace ?? '', ...cells] : [...cells];
  return opts.wide ? [...scoped, ...wideCells] : scoped;
}

function headers(opts: RowOptions, base: Row, wide: Row): Row {
  return withScope(opts, 'NAMESPACE', base, wide);
}

export function vmHeaders(opts: RowOptions): Row {
  return headers(opts, ['NAME', 'AGE', 'STATUS', 'READY', 'NODE', 'IP'], ['RUNSTRATEGY', 'CPU', 'MEMORY']);
}

export function vmiHeaders(opts: RowOptions): Row {
  return headers(opts, ['NAME', 'AGE', 'PHASE', 'READY', 'NODE', 'IP'], ['CPU', 'MEMORY']);
}

function vcpus(cpu: CPU | undefined): string {
  if (cpu === undefined) return '1';
  return String((cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1));
}

function memory(spec: VirtualMachineInstanceSpec): string {
  const m = spec.domain.memory?.guest ?? spec.domain.resources?.requests?.memory;
  return m === undefined ? NONE : String(m);
}

function ip(vmi: VirtualMachineInstance | undefined): string {
  return vmi?.status?.interfaces?.find((i) => i.ipAddress !== undefined)?.ipAddress ?? NONE;
}

function paint(opts: RowOptions, status: string): string {
  return opts.paint === undefined || status === '' ? status : statusPaint(status, opts.paint)(status);
}

/** True/False as the VMI's Ready condition says; False when there is none. */
export function vmiReady(vmi: VirtualMachineInstance | undefined): boolean {
  return vmi?.status?.conditions?.some((c) => c.type === CONDITION_TYPES.ready && c.status === 'True') ?? false;
}

const capital = (b: boolean): string => (b ? 'True' : 'False');

/** A VMI that has not finished: a finished one has no node or address worth showing. */

export function vmRow(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, opts: RowOptions): Row {
  const status = vm.status?.printableStatus ?? '';
  const live = liveVmi(vmi);
  const strategy = runStrategyOf(vm);
  const spec = vm.spec.template.spec;
  return withScope(
    opts,
    vm.metadata.namespace,
    [
      vm.metadata.name ?? '',
      age(vm.metadata.creationTimestamp, opts.now),
      paint(opts, status),
      capital(vm.status?.ready === true),
      live?.status?.nodeName ?? NONE,
      ip(live),
    ],
    [strategy, vcpus(spec.domain.cpu), memory(spec)],
  );
}

export function vmiRow(vmi: VirtualMachineInstance, opts: RowOptions): Row {
  const phase = vmi.status?.phase ?? '';
  return withScope(
    opts,
    vmi.metadata.namespace,
    [
      vmi.metadata.name ?? '',
      age(vmi.metadata.creationTimestamp, opts.now),
      paint(opts, phase),
      capital(vmiReady(vmi)),
      vmi.status?.nodeName ?? NONE,
      ip(vmi),
    ],
    [vcpus(vmi.spec.domain.cpu), memory(vmi.spec)],
  );
}

const key = (o: { metadata: { namespace?: string; name?: string } }): string =>
  `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** The VM table, rows sorted by namespace and name as kubectl sorts them. */
export function vmTable(
  vms: readonly VirtualMachine[],
  vmis: readonly VirtualMachineInstance[],
  opts: RowOptions,
): string {
  const byKey = new Map(vmis.map((v) => [key(v), v]));
  const sorted = [...vms].sort((a, b) => byteOrder(key(a), key(b)));
  return formatTable(
    vmHeaders(opts),
    sorted.map((vm) => vmRow(vm, byKey.get(key(vm)), opts)),
  );
}

export function vmiTable(vmis: readonly VirtualMachineInstance[], opts: RowOptions): string {
  const sorted = [...vmis].sort((a, b) => byteOrder(key(a), key(b)));
  return formatTable(
    vmiHeaders(opts),
    sorted.map((v) => vmiRow(v, opts)),
  );
}
