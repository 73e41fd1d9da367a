/**
 * Asks each running guest's agent, through libvirt, what it knows: guest-get-osinfo (which also
 * tells whether it answers at all) and guest-network-get-interfaces. The binding has no agent
 * API and libvirt sends no agent events to it, so this polls, and queues a VMI when what its agent
 * says changed. A guest without an agent costs one failed call per round.
 */
import type { LibvirtConnection, ObservedDomain } from './libvirt/connection.js';
import { type AgentFacts, interfacesOf, osInfoOf } from './guest-agent.js';
import { stableJson } from './sync/vmi-status.js';

/** Often enough that `wait --for=condition=AgentConnected` returns soon after the agent starts. */
export const AGENT_POLL_MS = 2_000;
/**
 * Rounds without an answer before the agent counts as gone: one slow answer on a loaded node
 * (the call times out after 2 s) must not flip AgentConnected and wake every waiter.
 */
export const AGENT_MISSES_ALLOWED = 3;

export class GuestAgentWatch {
  private readonly facts = new Map<string, AgentFacts>();
  private readonly misses = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly libvirt: Pick<LibvirtConnection, 'agentCommand'>,
    private readonly deps: Readonly<{
      /** The domains the last poll saw, by VMI uid. */
      domains: () => ReadonlyMap<string, ObservedDomain>;
      changed: (uid: string) => void;
      intervalMs?: number;
    }>,
  ) {}

  /** What the agent of this VMI's guest said last; undefined while it does not answer. */
  of(uid: string): AgentFacts | undefined {
    return this.facts.get(uid);
  }

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.askAll().finally(() => this.schedule());
    }, this.deps.intervalMs ?? AGENT_POLL_MS);
  }

  /** One round; never throws (a failed call means "no agent"). */
  async askAll(): Promise<void> {
    const domains = this.deps.domains();
    for (const uid of this.facts.keys()) if (domains.get(uid)?.state !== 'Running') this.update(uid, undefined);
    for (const [uid, d] of domains) {
      if (d.state !== 'Running') continue;
      await this.askOne(uid, d.name);
    }
    for (const uid of this.misses.keys()) if (!domains.has(uid)) this.misses.delete(uid);
  }

  private async askOne(uid: string, name: string): Promise<void> {
    const answer = await this.ask(name);
    const missed = answer === undefined ? (this.misses.get(uid) ?? 0) + 1 : 0;
    this.misses.set(uid, missed);
    if (answer !== undefined || missed >= AGENT_MISSES_ALLOWED) this.update(uid, answer);
  }

  private async ask(name: string): Promise<AgentFacts | undefined> {
    try {
      const osInfo = osInfoOf(await this.libvirt.agentCommand(name, 'guest-get-osinfo'));
      const interfaces = interfacesOf(await this.libvirt.agentCommand(name, 'guest-network-get-interfaces'));
      return { osInfo, interfaces };
    } catch {
      return undefined;
    }
  }

  private update(uid: string, next: AgentFacts | undefined): void {
    const before = this.facts.get(uid);
    if (next === undefined) this.facts.delete(uid);
    else this.facts.set(uid, next);
    if (stableJson(before) !== stableJson(next)) this.deps.changed(uid);
  }
}
