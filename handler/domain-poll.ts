/**
 * The poll of domain state (the binding has no libvirt events): every tsvirt domain's state on a
 * timer, a uid queued when its domain changed, appeared, vanished or has no VMI (sync/subject.ts
 * `uidsToQueue`). It also keeps whether libvirt answers, so being unreachable is logged once and
 * its return once; a failed poll concludes nothing about any domain.
 */
import type { KubeLogger } from '../kube/logger.js';
import type { LibvirtConnection, ObservedDomain } from './libvirt/connection.js';
import { uidsToQueue } from './sync/subject.js';

export interface DomainPollDeps {
  readonly libvirt: Pick<LibvirtConnection, 'listTsvirtDomains' | 'uri'>;
  readonly log: KubeLogger;
  readonly intervalMs: number;
  readonly hasVmi: (uid: string) => boolean;
  readonly changed: (uid: string) => void;
  /** Called after each successful poll with its duration and the number of tsvirt domains. */
  readonly onPoll: ((ms: number, domains: number) => void) | undefined;
}

export class DomainPoll {
  private seen = new Map<string, ObservedDomain>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private libvirtDown = false;
  private stopped = false;

  constructor(private readonly deps: DomainPollDeps) {}

  /** Domains seen by the last poll, by VMI uid. */
  domains(): ReadonlyMap<string, ObservedDomain> {
    return this.seen;
  }

  /** Polls once now, then every interval until {@link stop}. */
  async start(): Promise<void> {
    await this.pollOnce();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  /** A libvirt call failed on the connection: say so once, until a poll gets through again. */
  noteLibvirtDown(err: unknown): void {
    if (!this.libvirtDown)
      this.deps.log.warn({ err, uri: this.deps.libvirt.uri }, 'Could not reach libvirt; domains are left as they are');
    this.libvirtDown = true;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.pollOnce().finally(() => this.schedule());
    }, this.deps.intervalMs);
  }

  private async pollOnce(): Promise<void> {
    const started = performance.now();
    let list: ReadonlyArray<ObservedDomain>;
    try {
      list = await this.deps.libvirt.listTsvirtDomains();
    } catch (err) {
      this.noteLibvirtDown(err);
      return;
    }
    if (this.libvirtDown) this.deps.log.info({ uri: this.deps.libvirt.uri }, 'Reconnected to libvirt');
    this.libvirtDown = false;
    const next = new Map(list.map((d) => [d.meta.uid, d] as const));
    for (const uid of uidsToQueue(this.seen, next, this.deps.hasVmi)) this.deps.changed(uid);
    this.seen = next;
    this.deps.onPoll?.(performance.now() - started, next.size);
  }
}
