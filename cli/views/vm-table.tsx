/**
 * The live view's table: headers and rows in, a frame out (STYLE.md §5: small and dumb). Columns
 * line up as in `kubectl virt list`; the STATUS cell is coloured; the selected row is inverse.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { Row } from '../printers/table.js';

export interface VmTableProps {
  readonly headers: Row;
  readonly rows: readonly Row[];
  /** Index of the STATUS (or PHASE) column, whose cells are coloured. */
  readonly statusColumn: number;
  /** Index of the selected row, or -1 for none. */
  readonly selected: number;
}

const COLOURS: Readonly<Record<string, string>> = {
  Running: 'green',
  ErrorUnschedulable: 'red',
  CrashLoopBackOff: 'red',
  Failed: 'red',
  Unknown: 'red',
  Stopped: 'gray',
  Succeeded: 'gray',
};

export function columnWidths(headers: Row, rows: readonly Row[]): number[] {
  return headers.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
}

function Cells({
  row,
  widths,
  statusColumn,
}: Readonly<{ row: Row; widths: readonly number[]; statusColumn: number }>): ReactElement {
  return (
    <>
      {row.map((cell, col) => {
        const text = col === row.length - 1 ? cell : cell.padEnd((widths[col] ?? 0) + 3);
        const colour = col === statusColumn ? (COLOURS[cell] ?? 'yellow') : undefined;
        return colour === undefined ? (
          <Text key={col}>{text}</Text>
        ) : (
          <Text key={col} color={colour}>
            {text}
          </Text>
        );
      })}
    </>
  );
}

export function VmTable({ headers, rows, statusColumn, selected }: VmTableProps): ReactElement {
  const widths = columnWidths(headers, rows);
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold>
          {headers.map((h, col) => (col === headers.length - 1 ? h : h.padEnd((widths[col] ?? 0) + 3))).join('')}
        </Text>
      </Box>
      {rows.length === 0 ? <Text dimColor>No VMs yet.</Text> : null}
      {rows.map((row, i) => (
        <Box key={row.join('\u0000')}>
          <Text inverse={i === selected}>
            <Cells row={row} widths={widths} statusColumn={statusColumn} />
          </Text>
        </Box>
      ))}
    </Box>
  );
}

export interface StatusLineProps {
  readonly message: string;
  readonly count: number;
}

/** The line under the table: how many, which keys do what, and the last action's outcome. */
export function StatusLine({ message, count }: StatusLineProps): ReactElement {
  return (
    <Box marginTop={1} flexDirection="column">
      <Text
        dimColor
      >{`${count} VM${count === 1 ? '' : 's'} · ↑/↓ select · s start · x stop · r restart · q quit`}</Text>
      {message === '' ? null : <Text>{message}</Text>}
    </Box>
  );
}
