/**
 * The execute part of a pass: one step of sync/decide.ts done, dispatched on its kind. Returns the
 * work-queue outcome when the run ends here, undefined when the handler should observe again and
 * ask for the next step.
 */
import type { QueueOutcome } from '../../kube/workqueue.js';
import type { Observation } from '../observe.js';
import { restOutcome } from '../sync/after-step.js';
import type { Step } from '../sync/decide.js';
import type { StepContext } from './context.js';
import { changeDomain, forget } from './domain.js';
import { startDomain } from './start.js';
import { writeStatus } from './status.js';
import { executeMigrationStep } from '../migration/steps.js';
import { isMigrationStep, type MigrationStep } from '../migration/decide.js';

export async function executeStep(
  ctx: StepContext,
  uid: string,
  observed: Observation,
  step: Step,
): Promise<QueueOutcome | undefined> {
  return isMigrationStep(step)
    ? executeMigrationStep(ctx, uid, observed, step)
    : executeOwnStep(ctx, uid, observed, step);
}

async function executeOwnStep(
  ctx: StepContext,
  uid: string,
  observed: Observation,
  step: Exclude<Step, MigrationStep>,
): Promise<QueueOutcome | undefined> {
  switch (step.kind) {
    case 'forget':
      await forget(ctx, uid, observed.name);
      return restOutcome(step);
    case 'idle':
    case 'wait':
      return restOutcome(step);
    case 'define-and-start':
      return startDomain(ctx, uid, observed.view.vmi);
    case 'write-status':
      await writeStatus(ctx, uid, observed.view.vmi, step);
      return undefined;
    case 'tell-launcher':
      ctx.launchers.send(uid, step.message);
      return undefined;
    case 'shutdown':
    case 'destroy':
    case 'undefine':
      await changeDomain(ctx, uid, observed, step);
      return undefined;
    default:
      return step satisfies never;
  }
}
