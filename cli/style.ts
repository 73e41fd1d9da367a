/**
 * The one chalk instance of the CLI (docs/conventions.md §5). Colour only when stdout is a terminal, never
 * with NO_COLOR set (no-color.org) or TERM=dumb, so piped output and CI logs stay plain text.
 * chalk is loaded only when colour is on: scripts and pipes never pay for it.
 */
import type { ChalkInstance } from 'chalk';

export type ColorEnv = Readonly<Record<string, string | undefined>>;

/** 0 (none) or 1 (16 colours): the status colours need no more. */
export function colorLevel(isTTY: boolean | undefined, env: ColorEnv): 0 | 1 {
  if (isTTY !== true) return 0;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return 0;
  if (env['TERM'] === 'dumb') return 0;
  return 1;
}

let instance: ChalkInstance | undefined;

/** The chalk instance when stdout gets colour, else undefined (print plain). */
export async function loadStyle(): Promise<ChalkInstance | undefined> {
  if (colorLevel(process.stdout.isTTY, process.env) === 0) return undefined;
  if (instance === undefined) {
    const { Chalk } = await import('chalk');
    instance = new Chalk({ level: 1 });
  }
  return instance;
}

/** Whether progress may be drawn on stderr: a terminal, not dumb, not CI. */
export function progressAllowed(isTTY: boolean | undefined, env: ColorEnv): boolean {
  return (
    isTTY === true && env['TERM'] !== 'dumb' && (env['CI'] === undefined || env['CI'] === '' || env['CI'] === 'false')
  );
}

type Paint = (s: string) => string;

/** The colour of a VM status (PrintableStatus) or VMI phase (VmiPhase): green running, red failed, yellow in between. */
export function statusPaint(status: string, c: ChalkInstance): Paint {
  switch (status) {
    case 'Running':
      return c.green;
    case 'ErrorUnschedulable':
    case 'CrashLoopBackOff':
    case 'Failed':
    case 'Unknown':
      return c.red;
    case 'Stopped':
    case 'Succeeded':
      return c.dim;
    default:
      return c.yellow;
  }
}
