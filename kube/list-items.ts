/**
 * What both clients do with a list item that is not the kind asked for (a guard in api/types.ts
 * refuses it): leave it out and count it, so one malformed object neither stalls an informer
 * (the services' client used to fail the whole list with a 500) nor vanishes without a word (the
 * CLI's used to drop it silently). Callers report `skipped`: the informer logs it, `kubectl virt
 * get` prints a warning. Pure.
 */
export interface CheckedItems<T> {
  readonly items: T[];
  /** The names (namespace/name, or "(unnamed)") of the items left out. */
  readonly skipped: string[];
}

const isRec = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

function nameOf(u: unknown): string {
  const meta = isRec(u) && isRec(u['metadata']) ? u['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '(unnamed)';
  return typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? `${meta['namespace']}/${name}` : name;
}

export function checkedItems<T>(raw: readonly unknown[], guard: (u: unknown) => u is T): CheckedItems<T> {
  const items: T[] = [];
  const skipped: string[] = [];
  for (const u of raw) {
    if (guard(u)) items.push(u);
    else skipped.push(nameOf(u));
  }
  return { items, skipped };
}
