/**
 * Kubernetes quantities (k8s.io/apimachinery resource.Quantity) parsed exactly, with bigint, so
 * `1Ei` or `0.5Gi` lose nothing. The grammar is the API server's, so a value the CRD's CEL
 * `isQuantity()` accepted parses here too:
 *
 *   quantity ::= [+-] number suffix
 *   number   ::= digits | digits '.' [digits] | '.' digits
 *   suffix   ::= '' | n | u | m | k | M | G | T | P | E | Ki | Mi | Gi | Ti | Pi | Ei | (e|E) [+-] digits
 *
 * One deliberate difference: decimal exponents beyond +-100 are refused (the API server takes them).
 */
import type { Quantity } from './generated/types.js';

export class QuantityError extends Error {
  constructor(readonly input: Quantity) {
    super(`"${String(input)}" is not a quantity; use one such as 128Mi, 1Gi, 500m or 2`);
    this.name = 'QuantityError';
  }
}

/** value = sign * digits * 10^exponent10 * 1024^exponent1024, exactly. */
interface Exact {
  readonly negative: boolean;
  readonly digits: bigint;
  readonly exponent10: number;
  readonly exponent1024: number;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)$/;

const MAX_EXPONENT = 100;

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  '': 0,
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

function suffixExponents(suffix: string): Readonly<{ exponent10: number; exponent1024: number }> {
  const binary = BINARY_SUFFIXES.indexOf(suffix as (typeof BINARY_SUFFIXES)[number]);
  if (binary > 0) return { exponent10: 0, exponent1024: binary };
  const decimal = DECIMAL_SUFFIXES[suffix];
  if (decimal !== undefined) return { exponent10: decimal, exponent1024: 0 };
  return { exponent10: Number(suffix.slice(1)), exponent1024: 0 };
}

function exactNumber(input: number): Exact | undefined {
  if (!Number.isSafeInteger(input)) return undefined;
  return { negative: input < 0, digits: BigInt(Math.abs(input)), exponent10: 0, exponent1024: 0 };
}

function exact(input: Quantity): Exact | undefined {
  if (typeof input === 'number') return exactNumber(input);
  const match = QUANTITY.exec(input);
  if (match === null) return undefined;
  const [, sign = '', number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  const { exponent10, exponent1024 } = suffixExponents(suffix);
  // `1e999999999` is grammatical but would take bigint arithmetic minutes; no VM needs it.
  if (Math.abs(exponent10) > MAX_EXPONENT) return undefined;
  return {
    negative: sign === '-',
    digits: BigInt(`${whole}${fraction}` || '0'),
    exponent10: exponent10 - fraction.length,
    exponent1024,
  };
}

/** |value| * 10^scale rounded up to an integer, signed; Kubernetes' Value() (scale 0) and MilliValue() (scale 3). */
function scaled(input: Quantity, scale: number): bigint {
  const q = exact(input);
  if (q === undefined) throw new QuantityError(input);
  const numerator = q.digits * 1024n ** BigInt(q.exponent1024);
  const exponent = q.exponent10 + scale;
  const magnitude =
    exponent >= 0 ? numerator * 10n ** BigInt(exponent) : ceilDivide(numerator, 10n ** BigInt(-exponent));
  return q.negative ? -magnitude : magnitude;
}

function ceilDivide(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** True when `input` is a quantity the API server would accept. Never throws. */
export function isQuantity(input: unknown): input is Quantity {
  return (typeof input === 'string' || typeof input === 'number') && exact(input) !== undefined;
}

/**
 * The quantity's value as an integer, rounded up as Kubernetes' Quantity.Value() does: `128Mi`
 * gives 134217728n, `1.5k` 1500n, `500m` 1n. For memory and disk sizes, in bytes.
 * Throws QuantityError when `input` is not a quantity.
 */
export function parseQuantity(input: Quantity): bigint {
  return scaled(input, 0);
}

/** The quantity in thousandths, rounded up (Quantity.MilliValue()): `500m` gives 500n, `2` 2000n. For CPU. */
export function parseMilliQuantity(input: Quantity): bigint {
  return scaled(input, 3);
}

/**
 * The shortest exact form of an integer amount: the largest binary suffix that divides it
 * (134217728n gives '128Mi'), else the plain number ('1500'). parseQuantity(formatQuantity(n)) === n.
 */
export function formatQuantity(value: bigint): string {
  const magnitude = value < 0n ? -value : value;
  const sign = value < 0n ? '-' : '';
  for (let i = BINARY_SUFFIXES.length - 1; i > 0 && magnitude > 0n; i--) {
    const unit = 1024n ** BigInt(i);
    if (magnitude % unit === 0n) return `${sign}${magnitude / unit}${BINARY_SUFFIXES[i] ?? ''}`;
  }
  return `${sign}${magnitude}`;
}
