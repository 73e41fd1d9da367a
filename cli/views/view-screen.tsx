/**
 * One frame of `kubectl virt view`, props in and lines out (docs/conventions.md §5): a title line with the
 * link's health, the table (only the rows that fit), the detail pane, the last action's outcome,
 * and the footer: the keys, the filter being typed, or the y/n prompt. Every line is cut to the
 * terminal's width, so a resize never wraps the table.
 */
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { reconnectingText, type LinkStatus } from '../live/reconnect.js';
import { DetailPane, type DetailView } from './detail-pane.js';
import { footerKeys, helpLines, type ViewState } from './view-keys.js';
import { statusColumn, viewHeaders, type SortKey, type ViewRow } from './view-rows.js';
import { VmTable } from './vm-table.js';

export interface ScreenSize {
  readonly columns: number;
  readonly rows: number;
}

export interface ViewScreenProps {
  readonly rows: readonly ViewRow[];
  /** VMs before the filter. */
  readonly total: number;
  readonly scope: Readonly<{ namespace: string; allNamespaces: boolean }>;
  readonly view: ViewState;
  readonly selected: number;
  /** Index of the first row on screen (view-rows.ts windowStart). */
  readonly offset: number;
  readonly link: LinkStatus;
  readonly message: string;
  readonly detail: DetailView | undefined;
  readonly size: ScreenSize;
  readonly colour: boolean;
  /** For the detail pane's ages; handed in so a frame is a pure function of its props. */
  readonly now: number;
}

/** Lines the detail pane takes when open. */
export const DETAIL_HEIGHT = 12;
/**
 * Title, table header, message, footer, and one line ink needs spare: a frame as tall as the
 * terminal makes it clear the whole screen on every update instead of redrawing in place.
 */
const CHROME = 5;

/** How many table rows fit: the terminal's height less the other lines, at least one. */
export function tableHeight(size: ScreenSize, detailOpen: boolean): number {
  const detail = detailOpen ? Math.min(DETAIL_HEIGHT, Math.max(0, size.rows - CHROME - 3)) : 0;
  return Math.max(1, size.rows - CHROME - detail);
}

export function detailHeight(size: ScreenSize): number {
  return Math.min(DETAIL_HEIGHT, Math.max(0, size.rows - CHROME - 3));
}

function linkText(link: LinkStatus): string {
  switch (link.kind) {
    case 'connecting':
      return 'connecting…';
    case 'live':
      return 'live';
    case 'reconnecting':
      return 'reconnecting…';
  }
}

/** While reconnecting, the message line says why and when the next try is, before any action's outcome. */
function messageText(link: LinkStatus, message: string): string {
  if (link.kind !== 'reconnecting') return message;
  const why = reconnectingText(link);
  return message === '' ? why : `${why} · ${message}`;
}

function titleText(p: ViewScreenProps, sort: SortKey): string {
  const where = p.scope.allNamespaces ? 'all namespaces' : `namespace ${p.scope.namespace}`;
  const vms = `VM${p.total === 1 ? '' : 's'}`;
  const count = p.rows.length === p.total ? `${p.total} ${vms}` : `${p.rows.length} of ${p.total} ${vms}`;
  const filter = p.view.filter === '' ? '' : ` · filter "${p.view.filter}"`;
  return `kubectl virt view · ${where} · ${count} · sort ${sort}${filter} · `;
}

function Line({
  text,
  width,
  ...style
}: Readonly<{ text: string; width: number; dim?: boolean; bold?: boolean }>): ReactElement {
  return (
    <Box width={width}>
      <Text wrap="truncate" dimColor={style.dim === true} bold={style.bold === true}>
        {text}
      </Text>
    </Box>
  );
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function Footer({ view, width }: Readonly<{ view: ViewState; width: number }>): ReactElement {
  if (view.mode === 'filter')
    return <Line width={width} text={`/${view.filter}▏  Enter keeps the filter · Esc clears it`} />;
  if (view.mode === 'confirm' && view.pending !== undefined) {
    const { action, target } = view.pending;
    return (
      <Line
        width={width}
        bold
        text={`${capitalized(action.label)} VM ${target.name} in namespace ${target.namespace}? y/n`}
      />
    );
  }
  return <Line width={width} dim text={footerKeys()} />;
}

function Help({ width }: Readonly<{ width: number }>): ReactElement {
  return (
    <Box flexDirection="column">
      <Line width={width} bold text="Keys" />
      {helpLines().map((l) => (
        <Line key={l} width={width} text={`  ${l}`} />
      ))}
    </Box>
  );
}

function Title({ p }: Readonly<{ p: ViewScreenProps }>): ReactElement {
  const link = linkText(p.link);
  const warn = p.link.kind === 'reconnecting' && p.colour;
  return (
    <Box width={p.size.columns}>
      <Text wrap="truncate">
        <Text bold>{titleText(p, p.view.sort)}</Text>
        {warn ? <Text color="yellow">{link}</Text> : <Text>{link}</Text>}
      </Text>
    </Box>
  );
}

export function ViewScreen(p: ViewScreenProps): ReactElement {
  const width = p.size.columns;
  const height = tableHeight(p.size, p.detail !== undefined);
  const visible = p.rows.slice(p.offset, p.offset + height);
  const scope = { allNamespaces: p.scope.allNamespaces };
  return (
    <Box flexDirection="column" width={width}>
      <Title p={p} />
      {p.view.mode === 'help' ? (
        <Help width={width} />
      ) : (
        <VmTable
          headers={viewHeaders(scope)}
          rows={visible.map((r) => r.cells)}
          widthRows={p.rows.map((r) => r.cells)}
          statusColumn={statusColumn(scope)}
          selected={p.selected - p.offset}
          width={width}
          colour={p.colour}
          empty={p.total === 0 ? 'No VMs yet.' : 'No VM matches the filter.'}
        />
      )}
      {p.detail === undefined || p.view.mode === 'help' ? null : (
        <DetailPane detail={p.detail} width={width} height={detailHeight(p.size)} colour={p.colour} now={p.now} />
      )}
      <Line width={width} text={messageText(p.link, p.message)} />
      <Footer view={p.view} width={width} />
    </Box>
  );
}
