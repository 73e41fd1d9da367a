/**
 * One controller: a work queue of keys feeding one reconciler, with a log line per reconcile that
 * did something or failed, and metrics. Each run gets a reconcileID, as controller-runtime's
 * reconcileHandler does, so its log lines can be followed.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { parseObjectKey } from '../kube/resources.js';
import { WorkQueue, type QueueOutcome } from '../kube/workqueue.js';
import type { ControllerMetrics } from './metrics.js';
import type { Result } from './result.js';

export interface Reconciler {
  connect(queue: WorkQueue): void;
  reconcile(key: string, log: Logger): Promise<Result>;
}

export type ControllerOptions = Readonly<{
  /** `vm` or `vmi`: the kind label on metrics and logs. */
  name: string;
  kind: string;
  reconciler: Reconciler;
  workers: number;
  metrics: ControllerMetrics;
  log: Logger;
}>;

/** Builds the queue and connects the reconciler's informer handlers to it; start() begins work. */
export function createController(opts: ControllerOptions): WorkQueue {
  const { name, metrics, log, reconciler } = opts;
  const process = async (key: string): Promise<QueueOutcome> => {
    const { namespace, name: objectName } = parseObjectKey(key);
    const klog = log.child({
      controller: name,
      kind: opts.kind,
      namespace,
      name: objectName,
      reconcileID: randomUUID(),
    });
    const end = metrics.reconcileDuration.startTimer({ controller: name });
    const result = await reconciler.reconcile(key, klog);
    end({ result: result.kind });
    if (result.kind === 'retry' || result.kind === 'terminal') {
      metrics.reconcileErrors.inc({ controller: name, kind: result.kind });
      const level = result.kind === 'terminal' ? 'error' : 'warn';
      klog[level](
        { err: result.cause },
        result.kind === 'terminal' ? 'Gave up reconciling until the object changes' : 'Could not reconcile, will retry',
      );
    }
    return result;
  };
  const queue = new WorkQueue(process, {
    workers: opts.workers,
    onDepth: (depth) => metrics.queueDepth.set({ controller: name }, depth),
    onError: (key, err) => {
      metrics.reconcileErrors.inc({ controller: name, kind: 'thrown' });
      log.error({ controller: name, key, err }, 'Reconcile threw, which is a bug; will retry');
    },
  });
  reconciler.connect(queue);
  return queue;
}
