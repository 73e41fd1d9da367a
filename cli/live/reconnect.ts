/**
 * The live view's data: list VMs and VMIs, watch both from that point, and when the connection
 * is lost list again after a backoff (kube/backoff.ts, the policy every reconnect in tsvirt
 * uses), until `signal` aborts. Each list replaces the whole state, so a VM deleted while the
 * connection was down disappears and none appears twice. The sink hears every state and every
 * change of the link's health, which the view shows as "reconnecting…".
 */
import { VM_PLURAL } from '../../api/names.js';
import { Backoff, RECONNECT_BACKOFF, sleep, type BackoffPolicy } from '../../kube/backoff.js';
import type { ApiClient } from '../../kube/api-client.js';
import type { ListOptions } from '../../kube/cli-resources.js';
import { listForLive, watchForLive, type LiveSource } from './follow.js';
import { applyEvent, type LiveState } from './state.js';

export type LinkStatus = Readonly<
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; attempt: number; retryInMs: number; error: string }
>;

export interface LiveSink {
  readonly state: (s: LiveState) => void;
  readonly status: (s: LinkStatus) => void;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Runs until `signal` aborts; never throws for a lost or refused connection, it retries. */
export async function followLive(
  client: ApiClient,
  list: ListOptions,
  sink: LiveSink,
  opts: Readonly<{ signal: AbortSignal; policy?: BackoffPolicy; first?: Promise<LiveSource> }>,
): Promise<void> {
  const { signal } = opts;
  const backoff = new Backoff(opts.policy ?? RECONNECT_BACKOFF);
  // A list the caller started early (while ink loaded) stands for the first one.
  let first = opts.first;
  while (!signal.aborted) {
    try {
      const src = await (first ?? listForLive(client, VM_PLURAL, list));
      first = undefined;
      backoff.reset();
      let state = src.state;
      sink.state(state);
      sink.status({ kind: 'live' });
      await watchForLive(client, { resource: VM_PLURAL, list, src, signal }, (e) => {
        state = applyEvent(state, e);
        sink.state(state);
      });
      // A watch the server ended (it does every few minutes) is followed by a fresh list at once.
    } catch (err) {
      first = undefined;
      if (signal.aborted) return;
      const retryInMs = backoff.next();
      sink.status({ kind: 'reconnecting', attempt: backoff.attempts, retryInMs, error: messageOf(err) });
      await sleep(retryInMs, signal);
    }
  }
}
