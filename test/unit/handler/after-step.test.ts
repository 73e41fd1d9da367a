import { REASONS } from '../../../api/names.js';
import {
  BUSY_RETRY_MS,
  FRESH_MEMORY,
  afterShutdown,
  afterStart,
  restOutcome,
} from '../../../handler/sync/after-step.js';
import { pullBackOffMs } from '../../../handler/sync/decide.js';

const NOW = Date.parse('2026-11-25T14:00:00Z');
const FAILED = { phase: 'Failed' as const, reason: REASONS.invalidSpec, message: 'bad disk', paused: false };

describe('restOutcome', () => {
  it('requeues a wait after its time and ends idle and forget until something changes', () => {
    expect(restOutcome({ kind: 'wait', ms: 750 })).toEqual({ kind: 'requeueAfter', ms: 750 });
    expect(restOutcome({ kind: 'idle' })).toEqual({ kind: 'done' });
    expect(restOutcome({ kind: 'forget' })).toEqual({ kind: 'done' });
  });
});

describe('afterShutdown', () => {
  it('starts the grace period now and keeps the rest', () => {
    expect(afterShutdown({ started: true }, NOW, 'acpi')).toEqual({ started: true, acpiAt: NOW, shutdownVia: 'acpi' });
    expect(afterShutdown({ started: true }, NOW, 'agent')).toEqual({
      started: true,
      acpiAt: NOW,
      shutdownVia: 'agent',
    });
  });
});

describe('afterStart', () => {
  it('remembers a started domain, ends a failed pull before it, and goes on', () => {
    const before = { started: false, pullFailure: { message: 'x', attempts: 2, failedAt: 0, retryAt: 1 } };
    expect(afterStart(before, { kind: 'started' }, NOW)).toEqual({ memory: { started: true } });
  });

  it('remembers a final start failure and goes on (the next step fails the VMI)', () => {
    expect(afterStart(FRESH_MEMORY, { kind: 'failed', verdict: FAILED }, NOW)).toEqual({
      memory: { started: false, startFailure: FAILED },
    });
  });

  it('counts pull failures and backs off as the kubelet does', () => {
    const first = afterStart(FRESH_MEMORY, { kind: 'pull-failed', message: 'no such image' }, NOW);
    expect(first.memory.pullFailure).toEqual({
      message: 'no such image',
      attempts: 1,
      failedAt: NOW,
      retryAt: NOW + pullBackOffMs(1),
    });
    expect(first.outcome).toBeUndefined();
    const later = NOW + 60_000;
    const second = afterStart(first.memory, { kind: 'pull-failed', message: 'still none' }, later);
    expect(second.memory.pullFailure).toEqual({
      message: 'still none',
      attempts: 2,
      failedAt: later,
      retryAt: later + pullBackOffMs(2),
    });
  });

  it('ends the run and comes back soon while an older domain of the name is cleaned up', () => {
    expect(afterStart({ started: false }, { kind: 'busy', owner: 'old-uid' }, NOW)).toEqual({
      memory: { started: false },
      outcome: { kind: 'requeueAfter', ms: BUSY_RETRY_MS },
    });
  });
});
