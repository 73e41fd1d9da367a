/**
 * Go durations as kubectl takes them (`30s`, `2m`, `1h30m`, `500ms`; a bare number is seconds,
 * as --request-timeout allows). Pure; a bad value is a UsageError.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export function parseDuration(value: string, flag: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const parts = [...v.matchAll(PART)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) {
    throw new UsageError(
      `--${flag} "${value}" is not a duration`,
      'Use a number with a unit, such as 30s, 2m or 1h30m.',
    );
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNIT_MS[p[2] ?? 's'] ?? 1000), 0);
}

/** `90000` → `1m30s`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m === 0 ? `${s}s` : s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}
