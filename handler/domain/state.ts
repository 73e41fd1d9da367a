/**
 * Domain state → VMI phase, pure. libvirt's state numbers are mapped to names here so this module
 * needs nothing from the binding; the shell passes the number it read.
 */
import type { VmiPhase } from '../../api/types.js';
import { REASONS } from '../../api/names.js';

/** virDomainState, in libvirt's numeric order (index = value). */
export const DOMAIN_STATES = [
  'NoState',
  'Running',
  'Blocked',
  'Paused',
  'ShuttingDown',
  'Shutoff',
  'Crashed',
  'PMSuspended',
] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

export function domainStateFromCode(code: number): DomainState {
  return DOMAIN_STATES[code] ?? 'NoState';
}

/**
 * Why a domain shut off, as far as the node can tell: libvirt writes
 * `shutting down, reason=<r>` into the domain's log when QEMU ends.
 */
export const SHUTOFF_CAUSES = ['guest', 'destroyed', 'crashed', 'failed', 'unknown'] as const;
export type ShutoffCause = (typeof SHUTOFF_CAUSES)[number];

const LOG_REASONS: Readonly<Record<string, ShutoffCause>> = {
  shutdown: 'guest',
  destroyed: 'destroyed',
  crashed: 'crashed',
  failed: 'failed',
};

/** The cause named by the last `shutting down, reason=` line of a domain log, or `unknown`. */
export function shutoffCauseFromLog(logTail: string): ShutoffCause {
  const matches = [...logTail.matchAll(/shutting down, reason=([a-z-]+)/g)];
  const last = matches.at(-1)?.[1];
  return last === undefined ? 'unknown' : (LOG_REASONS[last] ?? 'unknown');
}

export type DomainObservation = Readonly<{ kind: 'present'; state: DomainState }> | Readonly<{ kind: 'missing' }>;

export interface PhaseVerdict {
  readonly phase: VmiPhase;
  readonly reason: string;
  readonly message: string;
  readonly paused: boolean;
}

export interface TranslationContext {
  /** The handler asked the domain to stop (VMI deleted, launcher's stop, orphan): an end is expected. */
  readonly stopRequested: boolean;
  /** For a shut-off domain, what its log says. */
  readonly shutoffCause: ShutoffCause;
}

const RUNNING: PhaseVerdict = {
  phase: 'Running',
  reason: REASONS.domainRunning,
  message: 'The domain is running',
  paused: false,
};
const PAUSED: PhaseVerdict = {
  phase: 'Running',
  reason: REASONS.domainRunning,
  message: 'The domain is paused',
  paused: true,
};

function shutoffVerdict(ctx: TranslationContext): PhaseVerdict {
  if (ctx.stopRequested)
    return {
      phase: 'Succeeded',
      reason: REASONS.guestShutdown,
      message: 'The domain was stopped on request',
      paused: false,
    };
  switch (ctx.shutoffCause) {
    case 'guest':
      return { phase: 'Succeeded', reason: REASONS.guestShutdown, message: 'The guest shut down', paused: false };
    case 'destroyed':
      return {
        phase: 'Failed',
        reason: REASONS.domainCrashed,
        message: 'The domain was destroyed outside tsvirt',
        paused: false,
      };
    case 'crashed':
      return {
        phase: 'Failed',
        reason: REASONS.domainCrashed,
        message: 'QEMU ended unexpectedly (the domain crashed)',
        paused: false,
      };
    case 'failed':
      return {
        phase: 'Failed',
        reason: REASONS.domainCrashed,
        message: 'QEMU failed to run the domain',
        paused: false,
      };
    case 'unknown':
      return {
        phase: 'Failed',
        reason: REASONS.domainCrashed,
        message: 'The domain stopped without a request and its log gives no cause',
        paused: false,
      };
    default:
      return ctx.shutoffCause satisfies never;
  }
}

/**
 * The VMI phase a domain observation means, or undefined when it allows no conclusion (NoState:
 * keep what the VMI says). Never called for a domain the handler has not started or adopted.
 */
export function domainStateToVmiPhase(obs: DomainObservation, ctx: TranslationContext): PhaseVerdict | undefined {
  if (obs.kind === 'missing') {
    if (ctx.stopRequested)
      return {
        phase: 'Succeeded',
        reason: REASONS.guestShutdown,
        message: 'The domain was stopped on request',
        paused: false,
      };
    return {
      phase: 'Failed',
      reason: REASONS.domainNotFound,
      message: 'The domain vanished from libvirt',
      paused: false,
    };
  }
  return presentVerdict(obs.state, ctx);
}

const STATE_VERDICTS: Readonly<Partial<Record<DomainState, PhaseVerdict>>> = {
  Running: RUNNING,
  Blocked: RUNNING,
  ShuttingDown: RUNNING,
  Paused: PAUSED,
  PMSuspended: PAUSED,
};

function presentVerdict(state: DomainState, ctx: TranslationContext): PhaseVerdict | undefined {
  const fixed = STATE_VERDICTS[state];
  if (fixed !== undefined) return fixed;
  switch (state) {
    case 'Running':
    case 'Blocked':
    case 'ShuttingDown':
    case 'Paused':
    case 'PMSuspended':
      return fixed;
    case 'Shutoff':
      return shutoffVerdict(ctx);
    case 'Crashed':
      return { phase: 'Failed', reason: REASONS.domainCrashed, message: 'The guest crashed', paused: false };
    case 'NoState':
      return undefined;
    default:
      return state satisfies never;
  }
}

/** True for a state in which QEMU still runs (a stop must shut it down or destroy it). */
export function isActive(state: DomainState): boolean {
  return state !== 'Shutoff' && state !== 'Crashed' && state !== 'NoState';
}
