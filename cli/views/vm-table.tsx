/**
 * The view's table: headers and the rows on screen in, a frame out (docs/conventions.md §5: small and dumb).
 * Columns line up as in `kubectl virt list`, sized from every row (not only those on screen) so
 * they do not jump while scrolling; the STATUS cell is coloured unless colour is off (NO_COLOR);
 * the selected row is inverse. Each line is cut to the terminal's width.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { Row } from '../printers/table.js';

export interface VmTableProps {
  readonly headers: Row;
  /** The rows on screen. */
  readonly rows: readonly Row[];
  /** The rows the column widths are measured over; `rows` unless told. */
  readonly widthRows?: readonly Row[];
  /** Index of the STATUS column, whose cells are coloured. */
  readonly statusColumn: number;
  /** Index in `rows` of the selected row, or -1 for none. */
  readonly selected: number;
  readonly width?: number;
  readonly colour?: boolean;
  readonly empty?: string;
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
  const widths = headers.map((h) => h.length);
  for (const r of rows)
    for (let col = 0; col < widths.length; col++) widths[col] = Math.max(widths[col] ?? 0, (r[col] ?? '').length);
  return widths;
}

const pad = (cells: Row, widths: readonly number[]): string[] =>
  cells.map((cell, col) => (col === cells.length - 1 ? cell : cell.padEnd((widths[col] ?? 0) + 3)));

function RowLine(
  p: Readonly<{ row: Row; widths: readonly number[]; statusColumn: number; inverse: boolean; colour: boolean }>,
): ReactElement {
  const cells = pad(p.row, p.widths);
  const colour = p.colour ? (COLOURS[p.row[p.statusColumn] ?? ''] ?? 'yellow') : undefined;
  if (colour === undefined)
    return (
      <Text wrap="truncate" inverse={p.inverse}>
        {cells.join('')}
      </Text>
    );
  return (
    <Text wrap="truncate" inverse={p.inverse}>
      {cells.slice(0, p.statusColumn).join('')}
      <Text color={colour}>{cells[p.statusColumn] ?? ''}</Text>
      {cells.slice(p.statusColumn + 1).join('')}
    </Text>
  );
}

export function VmTable(p: VmTableProps): ReactElement {
  const widths = columnWidths(p.headers, p.widthRows ?? p.rows);
  return (
    <Box flexDirection="column" {...(p.width === undefined ? {} : { width: p.width })}>
      <Box>
        <Text bold wrap="truncate">
          {pad(p.headers, widths).join('')}
        </Text>
      </Box>
      {p.rows.length === 0 ? <Text dimColor>{p.empty ?? 'No VMs yet.'}</Text> : null}
      {p.rows.map((row, i) => (
        <Box key={i}>
          <RowLine
            row={row}
            widths={widths}
            statusColumn={p.statusColumn}
            inverse={i === p.selected}
            colour={p.colour ?? true}
          />
        </Box>
      ))}
    </Box>
  );
}
