/**
 * The service runtime a tsvirt service's main.ts configures, as controller-runtime's manager is
 * for a Go controller: one probe and metrics server (kube/probe-server.ts), informers started and
 * synced before any worker runs (/readyz says so), one aggregating Event recorder (kube/events.ts),
 * leader election when asked (kube/leader.ts on kube/lease-keeper.ts), and one graceful shutdown
 * on SIGTERM/SIGINT (kube/shutdown.ts): stop workers, release the Lease, stop caches, write
 * pending Events, close servers and clients, exit 0. A main.ts keeps only its own wiring: which
 * informers, which workers, which extra servers.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { KubeClients } from './clients.js';
import { formatApiError, toApiError } from './errors.js';
import { EventRecorder, type EventBuilder } from './events.js';
import { LeaderElector } from './leader.js';
import type { KubeLogger } from './logger.js';
import { serveProbes, type ProbeServer, type ProbeState } from './probe-server.js';
import { FlagError, HelpRequested } from './service-flags.js';
import { runShutdown, shutdownPlan, type StopPhase, type StopStep } from './shutdown.js';

/** A cache the manager starts and waits for: kube/informer.ts's Informer. */
export interface SyncedSource {
  start(): void;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Something that does work once the caches synced (and, with leader election, while leading).
 * It stops in the `workers` phase unless told (a heartbeat stops with the Leases).
 */
export type Worker = Readonly<{
  name: string;
  start: () => void | Promise<void>;
  stop: () => void | Promise<void>;
  stopPhase?: StopPhase;
}>;

/** Options of {@link Manager}. */
export type ManagerOptions = Readonly<{
  /** api/names.ts COMPONENTS: the log lines' and Events' source. */
  component: string;
  logger: KubeLogger;
  clients: KubeClients;
  /** /metrics (and /healthz, /readyz unless {@link healthPort}) on this port; none: no probe server. */
  metrics?: Readonly<{ registry: Registry; port: number }> | undefined;
  /** /healthz and /readyz on a port of their own (virt-controller's manifest probes 8081). */
  healthPort?: number | undefined;
  /** source.host of the Events (the node or the Pod); the host name unless told. */
  eventHost?: string;
  /** How the first Event of a key is built, when a component keeps a shape of its own. */
  buildEvent?: EventBuilder;
  /** Appended to the `Stopping <component>` line (what an operator should know, such as that VMs keep running). */
  stopNote?: string;
}>;

/** Leader election for {@link Manager.start}: workers run only while this process holds the Lease. */
export type LeaderElection = Readonly<{
  namespace: string;
  name: string;
  /** Told when leadership starts (true) and ends (false), for a metric. */
  onLeading?: (leading: boolean) => void;
}>;

/** Options of {@link Manager.start}. */
export type StartOptions = Readonly<{
  leaderElection?: LeaderElection | undefined;
  /** Called once the caches synced, before any worker starts (a log line with counts). */
  onSynced?: () => void;
  /** Called once the workers started. */
  onStarted?: () => void;
}>;

/** Parses flags with `parse`; prints --help (exit 0) or a usage error naming the flag (exit 2). */
export function parseFlagsOrExit<T>(component: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(e.usage);
      process.exit(0);
    }
    if (e instanceof FlagError) {
      process.stderr.write(`${component}: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/**
 * Ends a service whose start failed: one line on stderr and exit 1. An API server's answer is
 * shown as kube/errors.ts maps it (code, reason, message, causes); anything else is a bug or a
 * host problem, shown with its stack.
 */
export function exitOnStartFailure(component: string): (err: unknown) => never {
  return (err) => {
    const api = toApiError(err);
    const text = api.code !== 0 ? formatApiError(api) : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`${component}: ${text}\n`);
    process.exit(1);
  };
}

/** A unique identity for a Lease holder: host, pid and a random tail (client-go's form). */
export function holderIdentity(): string {
  return `${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;
}

/** The service runtime; see the module comment. One per process. */
export class Manager {
  /** The process's one Event recorder: repeats of an Event bump its count. */
  readonly events: EventRecorder;
  private readonly log: KubeLogger;
  private readonly sources: SyncedSource[] = [];
  private readonly workers: Worker[] = [];
  private readonly steps: StopStep[] = [];
  private readonly abort = new AbortController();
  private state: ProbeState = { synced: false, stopping: false };
  private readonly servers: ProbeServer[] = [];

  constructor(private readonly opts: ManagerOptions) {
    this.log = opts.logger;
    this.events = new EventRecorder(opts.clients, {
      component: opts.component,
      host: opts.eventHost ?? hostname(),
      logger: opts.logger,
      ...(opts.buildEvent === undefined ? {} : { build: opts.buildEvent }),
    });
  }

  /** Adds a cache to start and wait for before any worker runs; returns it. */
  addInformer<T extends SyncedSource>(source: T): T {
    this.sources.push(source);
    this.onStop('informers', 'informer', () => source.stop());
    return source;
  }

  /** Adds a worker, started once the caches synced (and leadership, if elected), stopped first. */
  addWorker(worker: Worker): void {
    this.workers.push(worker);
  }

  /** Adds a step to the shutdown, in its phase (kube/shutdown.ts says the order). */
  onStop(phase: StopPhase, name: string, stop: () => void | Promise<void>): void {
    this.steps.push({ phase, name, stop });
  }

  /** True once every cache synced: /readyz and /healthz answer ok from then on. */
  synced(): boolean {
    return this.state.synced;
  }

  /** The probe server's bound ports: the metrics port first, the health port second when separate. */
  ports(): readonly number[] {
    return this.servers.map((s) => s.port);
  }

  /**
   * Serves the probes, starts and syncs the caches, then (after winning the election, if asked)
   * starts the workers. Resolves once the workers run or the election is under way; SIGTERM or
   * SIGINT from here on shut the process down.
   */
  async start(opts: StartOptions = {}): Promise<void> {
    // on, not once: a second signal while stopping is ignored rather than killing the process mid-release.
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => this.shutdown(sig));
    await this.serve();
    for (const s of this.sources) s.start();
    await Promise.all(this.sources.map((s) => s.waitForSync(this.abort.signal)));
    if (this.state.stopping) return;
    this.state = { ...this.state, synced: true };
    opts.onSynced?.();
    const election = opts.leaderElection;
    if (election === undefined) {
      await this.startWorkers(opts);
      return;
    }
    this.elect(election, opts);
  }

  /** Stops everything in kube/shutdown.ts's order, then exits 0 (1 when a step failed). Idempotent. */
  shutdown(signal: string): void {
    if (this.state.stopping) return;
    this.state = { ...this.state, stopping: true };
    this.abort.abort();
    this.log.info({ signal }, `Stopping ${this.opts.component}${this.opts.stopNote ?? ''}`);
    const steps: StopStep[] = [
      ...this.workers.map((w): StopStep => ({ phase: w.stopPhase ?? 'workers', name: w.name, stop: w.stop })),
      ...this.steps,
      { phase: 'events', name: 'events', stop: () => this.events.flush() },
      ...this.servers.map((s): StopStep => ({ phase: 'servers', name: 'probes', stop: s.close })),
      { phase: 'clients', name: 'kube clients', stop: () => this.opts.clients.close() },
    ];
    void runShutdown(shutdownPlan(steps), this.log).then((clean) => {
      this.log.info({}, `Stopped ${this.opts.component}`);
      process.exit(clean ? 0 : 1);
    });
  }

  private async serve(): Promise<void> {
    const metrics = this.opts.metrics;
    if (metrics === undefined) return;
    const state = (): ProbeState => this.state;
    const separate = this.opts.healthPort !== undefined;
    const common = { state, logger: this.log };
    this.servers.push(
      await serveProbes({
        ...common,
        port: metrics.port,
        routes: { metrics: true, health: !separate },
        registry: metrics.registry,
        what: 'metrics',
      }),
    );
    if (this.opts.healthPort !== undefined) {
      const port = this.opts.healthPort;
      this.servers.push(
        await serveProbes({ ...common, port, routes: { metrics: false, health: true }, what: 'health' }),
      );
    }
  }

  private async startWorkers(opts: StartOptions): Promise<void> {
    for (const w of this.workers) await w.start();
    opts.onStarted?.();
  }

  private elect(election: LeaderElection, opts: StartOptions): void {
    const identity = holderIdentity();
    const leadership = new AbortController();
    const elector = new LeaderElector(this.opts.clients, {
      namespace: election.namespace,
      name: election.name,
      identity,
      releaseOnCancel: true,
      logger: this.log,
      onStartedLeading: () => {
        election.onLeading?.(true);
        this.startWorkers(opts).catch(exitOnStartFailure(this.opts.component));
      },
      onStoppedLeading: () => {
        election.onLeading?.(false);
        if (this.state.stopping) return;
        // Another replica may already be writing: stop at once, as controller-runtime's manager does.
        this.log.error({ identity }, 'Lost the leader lease, exiting');
        process.exit(1);
      },
    });
    const done = elector.run(leadership.signal);
    // After the workers stopped, so a standby never overlaps a reconcile still running here.
    this.onStop('leases', 'leader election', async () => {
      leadership.abort();
      await done;
    });
  }
}
