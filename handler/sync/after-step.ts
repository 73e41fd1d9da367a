/**
 * What a step's outcome means for the next pass, pure: what the handler remembers about the uid
 * ({@link Memory}) and whether the run ends (a work-queue outcome) or goes on with the next step.
 * The executor (handler/steps/) does the I/O and hands the results here.
 */
import type { QueueOutcome } from '../../kube/workqueue.js';
import type { StartResult } from '../start-domain.js';
import { type Memory, type ShutdownVia, type Step, pullBackOffMs } from './decide.js';

/** What the handler knows of a uid it has not acted on (and after a restart). */
export const FRESH_MEMORY: Memory = { started: false };

/** While an older domain of the same name (a previous VMI) is still being cleaned up. */
export const BUSY_RETRY_MS = 250;

/** The run ends after these steps: `wait` on the clock, the others until something changes. */
export function restOutcome(step: Extract<Step, { kind: 'idle' | 'forget' | 'wait' }>): QueueOutcome {
  return step.kind === 'wait' ? { kind: 'requeueAfter', ms: step.ms } : { kind: 'done' };
}

/** A graceful shutdown was sent at `now`, through the agent or ACPI: the grace period runs from here. */
export function afterShutdown(memory: Memory, now: number, via: ShutdownVia): Memory {
  return { ...memory, acpiAt: now, shutdownVia: via };
}

function withoutPullFailure(memory: Memory): Memory {
  const { pullFailure: _over, ...rest } = memory;
  return rest;
}

/**
 * After a define-and-start: started (a pull that failed before is over), a final start failure,
 * a pull failure backed off as the kubelet does, or busy (the run ends and comes back soon).
 */
export function afterStart(
  memory: Memory,
  result: StartResult,
  now: number,
): Readonly<{ memory: Memory; outcome?: QueueOutcome }> {
  switch (result.kind) {
    case 'started':
      return { memory: { ...withoutPullFailure(memory), started: true } };
    case 'failed':
      return { memory: { ...memory, startFailure: result.verdict } };
    case 'pull-failed': {
      const attempts = (memory.pullFailure?.attempts ?? 0) + 1;
      const pullFailure = { message: result.message, attempts, failedAt: now, retryAt: now + pullBackOffMs(attempts) };
      return { memory: { ...memory, pullFailure } };
    }
    case 'busy':
      return { memory, outcome: { kind: 'requeueAfter', ms: BUSY_RETRY_MS } };
    default:
      return result satisfies never;
  }
}
