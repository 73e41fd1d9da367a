import { REASONS } from '../../../api/names.js';
import {
  type DomainObservation,
  type ShutoffCause,
  domainStateFromCode,
  domainStateToVmiPhase,
  isActive,
  shutoffCauseFromLog,
} from '../../../handler/domain/state.js';

const present = (code: number): DomainObservation => ({ kind: 'present', state: domainStateFromCode(code) });

describe('domainStateToVmiPhase', () => {
  type Row = [string, DomainObservation, boolean, ShutoffCause, string | undefined, string | undefined, boolean];
  it.each<Row>([
    ['running', present(1), false, 'unknown', 'Running', REASONS.domainRunning, false],
    ['blocked', present(2), false, 'unknown', 'Running', REASONS.domainRunning, false],
    ['shutting down', present(4), true, 'unknown', 'Running', REASONS.domainRunning, false],
    ['paused', present(3), false, 'unknown', 'Running', REASONS.domainRunning, true],
    ['pm-suspended', present(7), false, 'unknown', 'Running', REASONS.domainRunning, true],
    ['shut off by the guest', present(5), false, 'guest', 'Succeeded', REASONS.guestShutdown, false],
    ['shut off on request', present(5), true, 'destroyed', 'Succeeded', REASONS.guestShutdown, false],
    ['destroyed behind our back', present(5), false, 'destroyed', 'Failed', REASONS.domainCrashed, false],
    ['QEMU killed', present(5), false, 'crashed', 'Failed', REASONS.domainCrashed, false],
    ['QEMU failed', present(5), false, 'failed', 'Failed', REASONS.domainCrashed, false],
    ['shut off for no known cause', present(5), false, 'unknown', 'Failed', REASONS.domainCrashed, false],
    ['crashed guest', present(6), false, 'unknown', 'Failed', REASONS.domainCrashed, false],
    ['vanished', { kind: 'missing' }, false, 'unknown', 'Failed', REASONS.domainNotFound, false],
    ['gone after a stop', { kind: 'missing' }, true, 'unknown', 'Succeeded', REASONS.guestShutdown, false],
    ['no state', present(0), false, 'unknown', undefined, undefined, false],
    ['an unknown state code', present(42), false, 'unknown', undefined, undefined, false],
  ])('maps a %s domain', (...row: Row) => {
    const [, obs, stopRequested, shutoffCause, phase, reason, paused] = row;
    const verdict = domainStateToVmiPhase(obs, { stopRequested, shutoffCause });
    expect(verdict?.phase).toBe(phase);
    expect(verdict?.reason).toBe(reason);
    if (verdict !== undefined) expect(verdict.paused).toBe(paused);
  });

  it('names the cause in a failed verdict', () => {
    expect(domainStateToVmiPhase(present(5), { stopRequested: false, shutoffCause: 'crashed' })?.message).toMatch(
      /QEMU ended unexpectedly/,
    );
  });
});

describe('shutoffCauseFromLog', () => {
  it.each<[string, ShutoffCause]>([
    ['2026-11-25 13:28:07.885+0000: shutting down, reason=shutdown\n', 'guest'],
    ['2026-11-25 13:28:07.885+0000: shutting down, reason=destroyed\n', 'destroyed'],
    ['... reason=shutdown\n2026-11-25 13:28:18.700+0000: shutting down, reason=crashed\n', 'crashed'],
    ['shutting down, reason=shutdown\nstarting up\nshutting down, reason=failed', 'failed'],
    ['shutting down, reason=migrated', 'unknown'],
    ['', 'unknown'],
  ])('reads %j as %s', (log, cause) => {
    expect(shutoffCauseFromLog(log)).toBe(cause);
  });
});

describe('isActive', () => {
  it('counts QEMU as running until the domain is shut off or crashed', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((c) => isActive(domainStateFromCode(c)))).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
  });
});
