import { apiErrorFromStatus, isGone, KubeApiError, toApiError } from '../../../kube/errors.js';
import {
  nextResourceVersion,
  QUICK_CLOSE_MS,
  stepAfter,
  watchEventError,
  type Outcome,
  type Step,
} from '../../../kube/watch-step.js';
import type { WatchEvent } from '../../../kube/watch-lines.js';

// What the API server sends: the watch cache's answer to a version it no longer holds, a refused
// connection as kube/api-client.ts reports it, and a 500 on the list.
const GONE_EVENT = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'too old resource version: 1 (269)',
  reason: 'Expired',
  code: 410,
};
const goneEvent = watchEventError(GONE_EVENT);
const goneHttp = new KubeApiError(apiErrorFromStatus(410, JSON.stringify({ ...GONE_EVENT, message: 'gone' })));
const refused = new KubeApiError({
  code: 0,
  reason: 'ConnectionRefused',
  message: 'Could not reach the API server at https://127.0.0.1:1: ECONNREFUSED',
  causes: [],
  retryable: true,
});
const internal = new KubeApiError(apiErrorFromStatus(500, '{"kind":"Status","message":"etcd is down","code":500}'));

describe('stepAfter', () => {
  const at = { resourceVersion: '42', goneInARow: 0 };
  const fresh = { resourceVersion: '', goneInARow: 0 };
  const again = { resourceVersion: '42', goneInARow: 1 };
  const watch = (backoff: boolean): Step => ({ next: 'watch', backoff });
  const relist = (backoff: boolean, message: string): Step => ({
    next: 'list',
    backoff,
    cause: { kind: 'gone', message },
  });
  const retry = (next: Step['next'], message: string): Step => ({
    next,
    backoff: true,
    cause: { kind: 'failed', message },
  });
  const quiet = (events: number, elapsedMs: number): Outcome => ({ attempt: 'watch', events, elapsedMs });
  const TOO_OLD = GONE_EVENT.message;
  const table: ReadonlyArray<[string, Outcome, Readonly<{ resourceVersion: string; goneInARow: number }>, Step]> = [
    ['a list that answered: watch from it', { attempt: 'list' }, at, watch(false)],
    ['a probe that answered: resume the watch', { attempt: 'probe' }, at, watch(false)],
    ['a watch the server ended after events: resume at once', quiet(3, 20), at, watch(false)],
    ['a long quiet watch (the client deadline): resume at once', quiet(0, 140_000), at, watch(false)],
    [
      'an empty watch ended at once: resume after a delay, without a word',
      quiet(0, QUICK_CLOSE_MS - 1),
      at,
      watch(true),
    ],
    ['a 410 ERROR event: list again at once', { attempt: 'watch', error: goneEvent }, at, relist(false, TOO_OLD)],
    ['an HTTP 410: list again at once', { attempt: 'watch', error: goneHttp }, at, relist(false, 'gone')],
    [
      'a second 410 with no event between: wait first',
      { attempt: 'watch', error: goneEvent },
      again,
      relist(true, TOO_OLD),
    ],
    [
      'a dropped watch: probe, then resume where it was',
      { attempt: 'watch', error: refused },
      at,
      retry('probe', refused.message),
    ],
    ['a probe refused: probe again', { attempt: 'probe', error: refused }, at, retry('probe', refused.message)],
    ['a failed list: list again', { attempt: 'list', error: internal }, at, retry('list', 'etcd is down')],
    [
      'a watch failed before any version was known: list',
      { attempt: 'watch', error: internal },
      fresh,
      retry('list', 'etcd is down'),
    ],
  ];
  it.each(table)('%s', (_what, outcome, ctx, step) => {
    expect(stepAfter(outcome, ctx)).toEqual(step);
  });
});

describe('nextResourceVersion', () => {
  const obj = (rv?: string): unknown => ({ metadata: rv === undefined ? {} : { resourceVersion: rv } });
  const table: ReadonlyArray<[string, string, WatchEvent, string]> = [
    ['a change moves it to its object', '10', { type: 'MODIFIED', object: obj('11') }, '11'],
    ['an addition too', '10', { type: 'ADDED', object: obj('12') }, '12'],
    ['a deletion carries the version of the delete', '10', { type: 'DELETED', object: obj('13') }, '13'],
    ['a bookmark carries nothing else', '10', { type: 'BOOKMARK', object: obj('99') }, '99'],
    ['an ERROR keeps it', '10', { type: 'ERROR', object: GONE_EVENT }, '10'],
    ['an object without one keeps it', '10', { type: 'MODIFIED', object: obj() }, '10'],
    ['an empty one keeps it', '10', { type: 'MODIFIED', object: obj('') }, '10'],
    ['something that is not an object keeps it', '10', { type: 'ADDED', object: 'junk' }, '10'],
  ];
  it.each(table)('%s', (_what, current, event, expected) => {
    expect(nextResourceVersion(current, event)).toBe(expected);
  });
});

describe('watchEventError', () => {
  it('maps the Status of a 410 ERROR event to Gone, with its message', () => {
    expect(isGone(goneEvent)).toBe(true);
    expect(toApiError(goneEvent)).toMatchObject({ code: 410, reason: 'Expired', message: GONE_EVENT.message });
  });

  it('treats an ERROR without a code as a server error, not as Gone', () => {
    const e = watchEventError({ kind: 'Status', message: 'the watch broke' });
    expect(isGone(e)).toBe(false);
    expect(toApiError(e)).toMatchObject({ code: 500, message: 'the watch broke', retryable: true });
    expect(toApiError(watchEventError(undefined)).code).toBe(500);
  });
});
