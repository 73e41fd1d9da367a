/**
 * Kubernetes quantities, as far as launcher Pod sizing needs them: binary (Ki Mi Gi Ti) and
 * decimal (k M G T) suffixes, milli (m), plain numbers. Pure.
 */
import type { Quantity } from '../../api/types.js';

const FACTORS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** The quantity in base units (bytes, cores); undefined when it is not a quantity we read. */
export function parseQuantity(q: Quantity | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (m === null) return undefined;
  const factor = FACTORS[m[2] ?? ''];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/** CPU in whole millicores, as a quantity string: `1010m`. */
export function formatMilliCpu(cores: number): string {
  return `${Math.ceil(cores * 1000)}m`;
}

/** Memory as a quantity string: `Mi` when it divides evenly, plain bytes otherwise. */
export function formatBytes(bytes: number): string {
  const whole = Math.ceil(bytes);
  return whole % 2 ** 20 === 0 ? `${whole / 2 ** 20}Mi` : String(whole);
}
