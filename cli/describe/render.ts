/**
 * `describe`'s text, laid out as kubectl describe lays it out: `Key:  value` lines, indented
 * sections, tables for conditions and events. VM first, then its VMI, the launcher Pod, the
 * domain as the handler reported it, and the recent Events of all of them. Pure.
 */
import { vmiEmulation } from '../../api/conditions.js';
import { CONDITION_TYPES } from '../../api/names.js';
import type {
  Condition,
  CPU,
  KernelBoot,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineInstanceSpec,
  Volume,
} from '../../api/types.js';
import { age } from '../printers/age.js';
import { byteOrder, formatTable } from '../printers/table.js';
import { runStrategyOf } from '../../api/lifecycle.js';
import type { ConditionView, ContainerView, EventView, PodView, TerminatedView } from './views.js';

export interface DescribeInput {
  readonly vm: VirtualMachine;
  readonly vmi?: VirtualMachineInstance | undefined;
  readonly pod?: PodView | undefined;
  readonly events: readonly EventView[];
  readonly whyNotRunning?: string | undefined;
  readonly now: number;
}

type Line = readonly [key: string, value: string];

function block(lines: readonly Line[], indent: string): string {
  const width = Math.max(...lines.map(([k]) => k.length + 1));
  return lines.map(([k, v]) => `${indent}${`${k}:`.padEnd(width + 2)}${v}`.trimEnd() + '\n').join('');
}

function mapText(m: Readonly<Record<string, string>> | undefined, indent: string): string {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => byteOrder(a, b));
  if (entries.length === 0) return '<none>';
  return entries.map(([k, v], i) => `${i === 0 ? '' : indent}${k}=${v}`).join('\n');
}

function indentTable(text: string, indent: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `${indent}${l.trimEnd()}\n`)
    .join('');
}

function conditionsTable(conditions: readonly (Condition | ConditionView)[], indent: string): string {
  if (conditions.length === 0) return `${indent}<none>\n`;
  const rows = conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']);
  return indentTable(formatTable(['Type', 'Status', 'Reason', 'Message'], rows), indent);
}

/** A value, or `<none>` when it is absent (a function, so optional fields do not add branches). */
const show = (v: string | number | undefined, none = '<none>'): string => (v === undefined ? none : String(v));
const suffix = (v: string | undefined, f: (x: string) => string): string => (v === undefined ? '' : f(v));

function volumeSource(v: Volume | undefined): string {
  if (v?.hostDisk !== undefined) return `hostDisk ${v.hostDisk.path}`;
  if (v?.emptyDisk !== undefined) return `emptyDisk ${String(v.emptyDisk.capacity)}`;
  if (v?.containerDisk !== undefined) return `containerDisk ${v.containerDisk.image}`;
  return v?.cloudInitNoCloud !== undefined ? 'cloudInitNoCloud' : 'no volume';
}

function kernelLine(boot: KernelBoot | undefined): Line[] {
  if (boot?.kernelPath === undefined) return [];
  return [
    [
      'Kernel',
      `${boot.kernelPath}${suffix(boot.initrdPath, (p) => `, initrd ${p}`)}${suffix(boot.kernelArgs, (a) => `, args "${a}"`)}`,
    ],
  ];
}

function cpuText(cpu: CPU | undefined): string {
  const c = { cores: 1, sockets: 1, threads: 1, ...cpu };
  return `${c.cores} cores, ${c.sockets} sockets, ${c.threads} threads`;
}

function specLines(spec: VirtualMachineInstanceSpec): Line[] {
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const disks = (spec.domain.devices.disks ?? []).map((d) => `${d.name} (${volumeSource(volumes.get(d.name))})`);
  return [
    ['CPU', cpuText(spec.domain.cpu)],
    ['Memory', show(spec.domain.memory?.guest ?? spec.domain.resources?.requests?.memory)],
    ...kernelLine(spec.domain.firmware?.kernelBoot),
    ['Disks', disks.length === 0 ? '<none>' : disks.join(', ')],
    ['Grace Period', `${show(spec.terminationGracePeriodSeconds, '30')}s`],
  ];
}

function vmiSection(vmi: VirtualMachineInstance | undefined, now: number): string {
  if (vmi === undefined) return 'Instance:         <none>\n';
  const status = vmi.status ?? {};
  const ip = status.interfaces?.find((i) => i.ipAddress !== undefined)?.ipAddress;
  const lines: Line[] = [
    ['Phase', show(status.phase)],
    ['Reason', show(status.reason)],
    ['Node', show(status.nodeName)],
    ['IP', show(ip)],
    ['Age', age(vmi.metadata.creationTimestamp, now)],
  ];
  return (
    `Instance (VirtualMachineInstance ${show(vmi.metadata.name, '')}):\n` +
    block(lines, '  ') +
    '  Conditions:\n' +
    conditionsTable(status.conditions ?? [], '    ')
  );
}

function exitLine(exit: TerminatedView | undefined): string {
  if (exit === undefined) return '<none>';
  return `code ${exit.exitCode}${suffix(exit.reason, (r) => ` (${r})`)}${suffix(exit.finishedAt, (t) => ` at ${t}`)}`;
}

function containerLine(c: ContainerView | undefined): string {
  if (c === undefined) return '<none>';
  return `${c.state}${suffix(c.waitingReason, (r) => ` (${r})`)}, ${c.restartCount} restarts`;
}

function podSection(pod: PodView | undefined): string {
  if (pod === undefined) return 'Launcher Pod:     <none>\n';
  const c = pod.containers[0];
  const lines: Line[] = [
    ['Phase', show(pod.phase)],
    ['Node', show(pod.nodeName)],
    ['Container', containerLine(c)],
    ['Last Exit', exitLine(c?.terminated ?? c?.lastTerminated)],
  ];
  return `Launcher Pod (${pod.name}):\n` + block(lines, '  ');
}

function domainSection(vmi: VirtualMachineInstance | undefined): string {
  if (vmi === undefined) return '';
  const cond = (type: string): string => {
    const c = vmi.status?.conditions?.find((x) => x.type === type);
    return c === undefined ? '<none>' : `${c.status}${c.reason === undefined ? '' : ` (${c.reason})`}`;
  };
  return (
    'Domain:\n' +
    block(
      [
        ['Emulation', vmiEmulation(vmi.status?.conditions) ?? '<not reported>'],
        ['Running', cond(CONDITION_TYPES.ready)],
        ['Synchronized', cond(CONDITION_TYPES.synchronized)],
        ['Software Emulation', cond(CONDITION_TYPES.softwareEmulation)],
      ],
      '  ',
    )
  );
}

function eventsSection(events: readonly EventView[], now: number): string {
  if (events.length === 0) return 'Events:           <none>\n';
  const rows = events.map((e) => [
    e.type,
    e.reason,
    e.count > 1 ? `${age(e.at, now)} (x${e.count})` : age(e.at, now),
    e.from,
    e.message,
  ]);
  return 'Events:\n' + indentTable(formatTable(['Type', 'Reason', 'Age', 'From', 'Message'], rows), '  ');
}

function headLines(i: DescribeInput): Line[] {
  const { vm } = i;
  const meta = vm.metadata;
  const pad = ' '.repeat(18);
  return [
    ['Name', show(meta.name, '')],
    ['Namespace', show(meta.namespace, '')],
    ['Labels', mapText(meta.labels, pad)],
    ['Annotations', mapText(meta.annotations, pad)],
    ['API Version', vm.apiVersion],
    ['Kind', vm.kind],
    ['Created', `${show(meta.creationTimestamp, '<unknown>')} (${age(meta.creationTimestamp, i.now)} ago)`],
    ['Run Strategy', runStrategyOf(vm)],
    ['Status', show(vm.status?.printableStatus)],
    ['Ready', vm.status?.ready === true ? 'True' : 'False'],
    ...(i.whyNotRunning === undefined ? [] : ([['Not Running', i.whyNotRunning]] as Line[])),
  ];
}

export function describeVm(i: DescribeInput): string {
  return [
    block(headLines(i), ''),
    'Spec:\n' + block(specLines(i.vm.spec.template.spec), '  '),
    'Conditions:\n' + conditionsTable(i.vm.status?.conditions ?? [], '  '),
    vmiSection(i.vmi, i.now),
    podSection(i.pod),
    domainSection(i.vmi),
    eventsSection(i.events, i.now),
  ].join('');
}
