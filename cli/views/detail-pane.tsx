/**
 * The detail pane under the table: what `describe` reads (describe/fetch.ts) for the selected
 * VM, cut to a few lines: the "why it is not running" line, the VM's and VMI's conditions, and
 * the last Events, newest last. Props in, frame out.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { DescribeInput } from '../describe/render.js';
import { age } from '../printers/age.js';

export type DetailView = Readonly<
  | { kind: 'loading'; name: string }
  | { kind: 'shown'; input: DescribeInput }
  | { kind: 'failed'; name: string; error: string }
>;

type Cond = Readonly<{ type: string; status: string; reason?: string | undefined; message?: string | undefined }>;

const suffix = (v: string | undefined, f: (x: string) => string): string => (v === undefined ? '' : f(v));
const condText = (c: Cond): string =>
  `${c.type}=${c.status}${suffix(c.reason, (r) => ` (${r})`)}${suffix(c.message, (m) => `: ${m}`)}`;

const titleOf = (vm: DescribeInput['vm']): string =>
  `── ${vm.metadata.namespace ?? ''}/${vm.metadata.name ?? ''} · ${vm.status?.printableStatus ?? 'no status'} ──`;

function headLines(input: DescribeInput): string[] {
  const { vm, vmi, whyNotRunning } = input;
  return [
    titleOf(vm),
    ...(whyNotRunning === undefined ? [] : [`Not running: ${whyNotRunning}`]),
    ...(vm.status?.conditions ?? []).map((c) => `VM   ${condText(c)}`),
    ...(vmi?.status?.conditions ?? []).map((c) => `VMI  ${condText(c)}`),
  ];
}

/** The pane's lines, title first, at most `height`; events keep the newest when cut. Pure. */
export function detailLines(detail: DetailView, height: number, now: number): string[] {
  if (detail.kind === 'loading') return [`── ${detail.name} ──`, 'reading…'];
  if (detail.kind === 'failed') return [`── ${detail.name} ──`, `error: ${detail.error}`];
  const head = headLines(detail.input);
  const { events } = detail.input;
  const room = Math.max(0, height - head.length - 1);
  const shown = events
    .slice(-room)
    .map((e) => `  ${age(e.at, now).padEnd(5)} ${e.type.padEnd(8)}${e.reason}: ${e.message}`);
  const title = events.length === 0 ? 'Events: none' : 'Events:';
  return [...head, ...(room > 0 ? [title, ...shown] : [])].slice(0, height);
}

export interface DetailPaneProps {
  readonly detail: DetailView;
  readonly width: number;
  readonly height: number;
  readonly colour: boolean;
  readonly now: number;
}

export function DetailPane({ detail, width, height, colour, now }: DetailPaneProps): ReactElement {
  return (
    <Box flexDirection="column" width={width}>
      {detailLines(detail, height, now).map((line, i) => (
        <Box key={i} width={width}>
          <Text wrap="truncate" bold={i === 0} {...(colour && line.startsWith('error:') ? { color: 'red' } : {})}>
            {line}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
