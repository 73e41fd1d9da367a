/**
 * Kubernetes quantities (`128Mi`, `1G`, `500m`, `2`) as numbers, for the domain mapping.
 * Only what a VMI's memory and CPU fields use; anything else is `undefined` and the caller names the field.
 */
const SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?([a-zA-Z]{0,2})$/;

/** The quantity's value in base units (bytes, cores), or undefined when it is not a quantity. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  return parseQuantityString(q);
}

function parseQuantityString(q: string): number | undefined {
  const m = QUANTITY.exec(q.trim());
  if (m === null) return undefined;
  const [, digits = '', exponent, suffix = ''] = m;
  if (exponent !== undefined && suffix !== '') return undefined;
  const multiplier = SUFFIXES[suffix];
  if (multiplier === undefined) return undefined;
  return Number(digits) * 10 ** Number(exponent ?? 0) * multiplier;
}
