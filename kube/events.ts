/**
 * An Event recorder writing core/v1 Events (what `kubectl describe` and `kubectl get events` show),
 * as client-go's record.EventRecorder does: a repeat of the same (object, type, reason, message)
 * bumps `count` and `lastTimestamp` on the existing Event instead of creating another.
 * Recording never throws and never blocks the caller; failures are logged.
 */
import type { KubeClients } from './clients.js';
import { coreEvents, type CoreEvent } from './core.js';
import { isNotFound, toApiError } from './errors.js';
import { SILENT_LOGGER, type KubeLogger } from './logger.js';
import type { ResourceClient } from './resources.js';

/** core/v1 Event types. */
export type EventType = 'Normal' | 'Warning';

/** The object an Event is about: any Kubernetes object as read from the API. */
export type InvolvedObject = Readonly<{
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata?:
    | Readonly<{
        name?: string | undefined;
        namespace?: string | undefined;
        uid?: string | undefined;
        resourceVersion?: string | undefined;
      }>
    | undefined;
}>;

/** Options for {@link EventRecorder}. */
export type EventRecorderOptions = Readonly<{
  /** source.component and reportingComponent, e.g. `virt-controller` (api/names.ts COMPONENTS). */
  component: string;
  /** source.host / reportingInstance, e.g. the node or pod name. */
  host?: string;
  logger?: KubeLogger;
  /** How many distinct events to remember for aggregation; 4096 unless told (client-go's cache size). */
  cacheSize?: number;
  now?: () => number;
  /** Builds the first Event of a key; {@link newEvent} unless told (the handler keeps its own shape). */
  build?: EventBuilder;
}>;

/** What a new Event is built from: the object, what happened, who reports it, and when. */
export type EventFacts = Readonly<{
  type: EventType;
  reason: string;
  message: string;
  component: string;
  host?: string | undefined;
  now: number;
}>;

/** Builds the core/v1 Event to create for the first occurrence of a key. */
export type EventBuilder = (obj: InvolvedObject, facts: EventFacts) => CoreEvent;

/** The aggregation key: the same object, type, reason and message is the same Event. Pure. */
export function eventKey(obj: InvolvedObject, type: EventType, reason: string, message: string): string {
  const m = obj.metadata;
  return [m?.uid ?? '', obj.kind ?? '', m?.namespace ?? '', m?.name ?? '', type, reason, message].join('\u0000');
}

function objectReference(obj: InvolvedObject): CoreEvent['involvedObject'] {
  const m = obj.metadata ?? {};
  const fields = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
  };
  // Undefined fields are left out (exactOptionalPropertyTypes; the API server would drop them anyway).
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** A new core/v1 Event for `obj`. Pure. */
export function newEvent(obj: InvolvedObject, e: EventFacts): CoreEvent {
  const m = obj.metadata;
  const time = new Date(e.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const namespace = m?.namespace !== undefined && m.namespace !== '' ? m.namespace : 'default';
  const host = e.host === undefined ? {} : { host: e.host };
  return {
    apiVersion: 'v1',
    kind: 'Event',
    // client-go names Events <object>.<unix nanoseconds in hex>, unique enough per object.
    metadata: {
      name: `${m?.name ?? 'unknown'}.${(BigInt(e.now) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`,
      namespace,
    },
    involvedObject: objectReference(obj),
    reason: e.reason,
    message: e.message.slice(0, 1024),
    type: e.type,
    source: { component: e.component, ...host },
    reportingComponent: e.component,
    reportingInstance: e.host ?? e.component,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

type Remembered = { namespace: string; name: string; count: number };

/** Records Events; see the module comment. */
export class EventRecorder {
  private readonly events: ResourceClient<CoreEvent>;
  private readonly log: KubeLogger;
  private readonly seen = new Map<string, Remembered>();
  /** Per key, the tail of its write chain, so counts of one Event never race. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly now: () => number;

  constructor(
    clients: KubeClients,
    private readonly opts: EventRecorderOptions,
  ) {
    this.events = coreEvents(clients);
    this.log = opts.logger ?? SILENT_LOGGER;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Records an Event about `obj`. The write happens in the background; the promise (which never
   * rejects) settles once it was written or failed, for a caller that wants the Event in before
   * it reports what the Event explains. Ignoring it is fine.
   */
  event(obj: InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = eventKey(obj, type, reason, message);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(key, obj, { type, reason, message }));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  /** Resolves when every Event recorded so far was written (or failed). For shutdown and tests. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private async write(
    key: string,
    obj: InvolvedObject,
    e: Readonly<{ type: EventType; reason: string; message: string }>,
  ): Promise<void> {
    try {
      const known = this.seen.get(key);
      if (known !== undefined && (await this.bump(key, known))) return;
      const build = this.opts.build ?? newEvent;
      const created = await this.events.create(
        build(obj, { ...e, component: this.opts.component, host: this.opts.host, now: this.now() }),
      );
      this.remember(key, {
        namespace: created.metadata?.namespace ?? '',
        name: created.metadata?.name ?? '',
        count: 1,
      });
    } catch (err) {
      this.log.warn(
        { err: toApiError(err), reason: e.reason, kind: obj.kind, name: obj.metadata?.name },
        'Could not record Event',
      );
    }
  }

  // True when the existing Event took the repeat; false when it expired (the API server deletes Events after an hour).
  private async bump(key: string, known: Remembered): Promise<boolean> {
    const count = known.count + 1;
    const lastTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.events.patch(
        { namespace: known.namespace, name: known.name },
        { type: 'merge', patch: { count, lastTimestamp } },
      );
    } catch (err) {
      if (isNotFound(err)) {
        this.seen.delete(key);
        return false;
      }
      throw err;
    }
    this.remember(key, { ...known, count });
    return true;
  }

  private remember(key: string, r: Remembered): void {
    // Insertion order makes the Map an LRU: re-insert on use, drop the oldest when full.
    this.seen.delete(key);
    this.seen.set(key, r);
    if (this.seen.size > (this.opts.cacheSize ?? 4096)) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
