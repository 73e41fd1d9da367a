/**
 * Building API objects under exactOptionalPropertyTypes: a field is absent or has a value, never
 * `undefined`, because the API server would keep an explicit null and our diffs would see a change
 * where there is none.
 */

type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** `o` without the keys whose value is undefined. */
export function defined<T extends object>(o: T): Defined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>;
}
