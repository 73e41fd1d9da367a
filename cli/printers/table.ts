/**
 * Tables aligned as kubectl aligns them (k8s.io/cli-runtime printers use a tabwriter with
 * padding 3): uppercase headers, each column as wide as its widest cell plus three spaces, the
 * last column unpadded, so `kubectl virt list` and `kubectl get vms` line up the same way.
 */
export type Row = ReadonlyArray<string>;

/** Width of a cell as a terminal shows it: ANSI colour codes take no room. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex -- ANSI escape sequences are control characters by definition.
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

export function formatTable(headers: Row, rows: ReadonlyArray<Row>): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((r) => visibleWidth(r[col] ?? ''))));
  const lines = all.map((r) =>
    r
      .map((cell, col) =>
        col === r.length - 1 ? cell : cell + ' '.repeat((widths[col] ?? 0) - visibleWidth(cell) + 3),
      )
      .join(''),
  );
  return lines.join('\n') + '\n';
}

/**
 * Byte order, as the API server lists objects (etcd key order) and kubectl shows them; not
 * localeCompare, whose first call loads ICU's collator (milliseconds of start-up).
 */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
