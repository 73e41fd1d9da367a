/**
 * Events to the API server (core/v1 Event), fire and forget: a failed Event is logged at debug,
 * never retried, never fails a reconcile. Repeats of the same reason for the same object within a
 * minute are dropped, so a flapping object cannot flood the API server with Events.
 * Lives here only until kube/ exports its EventRecorder; it uses kube/'s Event client.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { COMPONENTS } from '../api/names.js';
import type { KubeClients } from '../kube/clients.js';
import { coreEvents, type CoreEvent } from '../kube/core.js';
import { toApiError } from '../kube/errors.js';
import type { KubeObject } from '../kube/resources.js';
import type { EventSink, EventType } from './events.js';

const REPEAT_WINDOW_MS = 60_000;

function eventFor(obj: KubeObject, type: EventType, reason: string, message: string): CoreEvent {
  const meta = obj.metadata ?? {};
  const t = new Date().toISOString();
  const host = hostname();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`,
      namespace: meta.namespace ?? 'default',
    },
    involvedObject: {
      apiVersion: obj.apiVersion ?? '',
      kind: obj.kind ?? '',
      name: meta.name ?? '',
      namespace: meta.namespace ?? '',
      uid: meta.uid ?? '',
      resourceVersion: meta.resourceVersion ?? '',
    },
    type,
    reason,
    message,
    source: { component: COMPONENTS.controller, host },
    reportingComponent: COMPONENTS.controller,
    reportingInstance: host,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
}

export function recorderFor(clients: KubeClients, log: Logger): EventSink {
  const client = coreEvents(clients);
  const recent = new Map<string, number>();
  return {
    record(obj: KubeObject, type: EventType, reason: string, message: string): void {
      const dedupe = `${obj.metadata?.uid ?? ''}/${reason}/${message}`;
      const now = Date.now();
      if ((recent.get(dedupe) ?? 0) > now - REPEAT_WINDOW_MS) return;
      if (recent.size > 10_000) recent.clear();
      recent.set(dedupe, now);
      client
        .create(eventFor(obj, type, reason, message))
        .catch((err: unknown) => log.debug({ err: toApiError(err), reason }, 'Could not record an Event'));
    },
  };
}
