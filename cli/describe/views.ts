/**
 * The few fields of Pods, Events, Nodes and Leases that `describe` shows, read from unknown JSON
 * (api/ types cover only our own kinds). Pure; missing fields stay undefined.
 */
type Rec = Readonly<Record<string, unknown>>;
const isRec = (u: unknown): u is Rec => typeof u === 'object' && u !== null && !Array.isArray(u);
const rec = (u: unknown): Rec => (isRec(u) ? u : {});
const str = (u: unknown): string | undefined => (typeof u === 'string' && u !== '' ? u : undefined);
const num = (u: unknown): number | undefined => (typeof u === 'number' ? u : undefined);
const list = (u: unknown): Rec[] => (Array.isArray(u) ? u.filter(isRec) : []);

export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

export interface TerminatedView {
  readonly exitCode: number;
  readonly reason?: string | undefined;
  readonly finishedAt?: string | undefined;
}

export interface ContainerView {
  readonly name: string;
  readonly restartCount: number;
  readonly state: 'running' | 'waiting' | 'terminated' | 'unknown';
  readonly waitingReason?: string | undefined;
  readonly terminated?: TerminatedView | undefined;
  readonly lastTerminated?: TerminatedView | undefined;
}

export interface PodView {
  readonly name: string;
  readonly uid?: string | undefined;
  readonly phase?: string | undefined;
  readonly nodeName?: string | undefined;
  readonly conditions: readonly ConditionView[];
  readonly containers: readonly ContainerView[];
}

export interface EventView {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly from: string;
  readonly count: number;
  /** When it last happened (lastTimestamp, else eventTime, else firstTimestamp). */
  readonly at?: string | undefined;
}

export function conditionViews(u: unknown): ConditionView[] {
  return list(u).map((c) => ({
    type: str(c['type']) ?? '',
    status: str(c['status']) ?? 'Unknown',
    reason: str(c['reason']),
    message: str(c['message']),
  }));
}

function terminatedView(u: unknown): TerminatedView | undefined {
  const t = rec(u);
  const exitCode = num(t['exitCode']);
  return exitCode === undefined ? undefined : { exitCode, reason: str(t['reason']), finishedAt: str(t['finishedAt']) };
}

function containerView(c: Rec): ContainerView {
  const state = rec(c['state']);
  const which = isRec(state['running'])
    ? 'running'
    : isRec(state['waiting'])
      ? 'waiting'
      : isRec(state['terminated'])
        ? 'terminated'
        : 'unknown';
  return {
    name: str(c['name']) ?? '',
    restartCount: num(c['restartCount']) ?? 0,
    state: which,
    waitingReason: str(rec(state['waiting'])['reason']),
    terminated: terminatedView(state['terminated']),
    lastTerminated: terminatedView(rec(c['lastState'])['terminated']),
  };
}

export function podView(u: unknown): PodView | undefined {
  if (!isRec(u)) return undefined;
  const meta = rec(u['metadata']);
  const spec = rec(u['spec']);
  const status = rec(u['status']);
  return {
    name: str(meta['name']) ?? '',
    uid: str(meta['uid']),
    phase: str(status['phase']),
    nodeName: str(spec['nodeName']),
    conditions: conditionViews(status['conditions']),
    containers: list(status['containerStatuses']).map(containerView),
  };
}

export function eventView(u: unknown): EventView {
  const e = rec(u);
  const source = rec(e['source']);
  return {
    type: str(e['type']) ?? 'Normal',
    reason: str(e['reason']) ?? '',
    message: (str(e['message']) ?? '').trim(),
    from: str(source['component']) ?? str(e['reportingComponent']) ?? '',
    count: num(e['count']) ?? 1,
    at: str(e['lastTimestamp']) ?? str(e['eventTime']) ?? str(e['firstTimestamp']),
  };
}

/** The Lease's last renewal, for "is the handler on node X alive?". */
export function leaseRenewTime(u: unknown): string | undefined {
  return str(rec(rec(u)['spec'])['renewTime']);
}
