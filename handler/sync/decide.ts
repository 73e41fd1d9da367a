/**
 * The handler's reconcile decision for one VMI uid on its node, pure and level-based: from what
 * the informer cache, libvirt and the launcher socket show right now (plus the little the handler
 * remembers, such as when it sent ACPI), the one next step. The shell applies it, observes again
 * and asks again, until the answer is `idle` or `wait`.
 *
 * Rules, as KubeVirt's users learned them:
 * - a domain is defined and started only when its VMI exists, is not final or being deleted, and
 *   its launcher has connected (the Pod holds the VM's place on the node);
 * - a stop asks the guest first, through its agent when one answers (a guest shuts down cleanly
 *   without ACPI support) or the ACPI power button otherwise, destroys after the grace period
 *   (a guest may ignore both), then undefines; a launcher that died gets no grace: its Pod is
 *   already over;
 * - the VMI's status is written before the launcher is told to exit, so the handler's reason wins
 *   over the controller's generic "Pod failed";
 * - a VMI is never failed because the handler or the launcher could not be reached: only what
 *   libvirt shows (a domain that ended or vanished after it ran) fails it.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/types.js';
import { REASONS } from '../../api/names.js';
import { LAUNCHER_EXIT_CODES, type DomainLifecycle, type HandlerMessage } from '../../api/launcher-protocol.js';
import type { DomainType } from '../domain/host-facts.js';
import {
  type DomainObservation,
  type PhaseVerdict,
  type ShutoffCause,
  domainStateToVmiPhase,
  isActive,
} from '../domain/state.js';
import { isFinalPhase } from '../../api/lifecycle.js';
import { pullStatus, statusForVerdict } from './vmi-status.js';
import type { AgentFacts } from '../guest-agent.js';
import { migrationStep, type MigrationStep, type MigrationView } from '../migration/decide.js';

/** What the launcher socket shows for this uid. */
export interface LauncherView {
  /** A launcher for this uid is connected now. */
  readonly connected: boolean;
  /** It asked for a graceful stop (it got SIGTERM). */
  readonly stopRequested: boolean;
  /** A launcher connection for this uid closed while this handler ran: the launcher died. */
  readonly lost: boolean;
  /** The exit message already sent, so it is sent once. */
  readonly exitSent: boolean;
  /** The last lifecycle told to the connected launcher. */
  readonly told?: DomainLifecycle;
}

/** What the handler remembers about a uid between passes (lost on restart, on purpose small). */
export interface Memory {
  /** This handler defined and started the domain, or adopted it running. */
  readonly started: boolean;
  /** When the graceful shutdown was sent (ms since epoch); the grace period counts from here. */
  readonly acpiAt?: number;
  /** How it was sent: the guest agent's guest-shutdown, or the ACPI power button. */
  readonly shutdownVia?: ShutdownVia;
  /** Why the domain could not be defined or started; final for this VMI. */
  readonly startFailure?: PhaseVerdict;
  /** The last containerDisk pull failed: not final, retried at `retryAt` (ms since epoch). */
  readonly pullFailure?: PullFailure;
}

export interface PullFailure {
  readonly message: string;
  readonly attempts: number;
  readonly failedAt: number;
  readonly retryAt: number;
}

/** The kubelet's image back-off: 10 s, doubled per failure, at most 5 min. */
export function pullBackOffMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 300_000);
}

/** ErrImagePull stays up this long after a failure before it reads ImagePullBackOff. */
export const ERR_IMAGE_PULL_HOLD_MS = 2_000;

export interface SyncView {
  /** The VMI with this uid from the cache, undefined when there is none (an orphan domain). */
  readonly vmi: VirtualMachineInstance | undefined;
  readonly domain: DomainObservation;
  /** For a shut-off domain: what its log says. */
  readonly shutoffCause: ShutoffCause;
  /** The domain's grace period (from the VMI, or the domain's metadata for an orphan). */
  readonly graceSeconds: number;
  readonly launcher: LauncherView;
  readonly memory: Memory;
  /** How this node runs domains, for the SoftwareEmulation condition. */
  readonly emulation: DomainType;
  readonly now: number;
  /** What the guest agent last said; undefined while it does not answer. */
  readonly agent?: AgentFacts;
  /** The launcher Pod's addresses (status.podIPs), once read; the interfaces' IP, as KubeVirt's. */
  readonly podIPs?: ReadonlyArray<string>;
  /** This node's migration facts; undefined where the handler runs no migrations (tests of the sync alone). */
  readonly migration?: MigrationView;
}

/** A graceful shutdown goes through the guest agent or the ACPI power button. */
export type ShutdownVia = 'agent' | 'acpi';

export type Step = Readonly<
  | { kind: 'define-and-start' }
  | { kind: 'shutdown'; why: string; via: ShutdownVia }
  | { kind: 'destroy'; why: string }
  | { kind: 'undefine' }
  | { kind: 'write-status'; verdict: PhaseVerdict; status: VirtualMachineInstanceStatus }
  | { kind: 'tell-launcher'; message: HandlerMessage }
  | { kind: 'wait'; ms: number }
  | { kind: 'forget' }
  | { kind: 'idle' }
  | MigrationStep
>;

const IDLE: Step = { kind: 'idle' };

/** Why the domain should stop, or undefined when it should run. */
export function stopReason(view: Pick<SyncView, 'vmi' | 'launcher' | 'memory'>): string | undefined {
  const { vmi, launcher } = view;
  if (vmi === undefined) return 'its VMI no longer exists (orphan)';
  if (vmi.metadata.deletionTimestamp !== undefined) return 'the VMI is being deleted';
  if (isFinalPhase(vmi.status?.phase)) return `the VMI is ${vmi.status?.phase ?? ''}`;
  if (launcher.lost) return 'virt-launcher exited';
  if (launcher.stopRequested) return 'virt-launcher asked for a graceful stop';
  if (view.memory.startFailure !== undefined) return 'the domain failed to start';
  return undefined;
}

function exitFor(verdict: PhaseVerdict): HandlerMessage {
  const code = verdict.phase === 'Succeeded' ? LAUNCHER_EXIT_CODES.succeeded : LAUNCHER_EXIT_CODES.failed;
  return { type: 'exit', code, reason: verdict.reason, message: verdict.message };
}

function tellLifecycle(view: SyncView, lifecycle: DomainLifecycle): Step | undefined {
  if (!view.launcher.connected || view.launcher.exitSent || view.launcher.told === lifecycle) return undefined;
  return { kind: 'tell-launcher', message: { type: 'status', domain: lifecycle, graceSeconds: view.graceSeconds } };
}

function statusStep(view: SyncView, verdict: PhaseVerdict | undefined): Step | undefined {
  if (verdict === undefined || view.vmi === undefined) return undefined;
  const status = statusForVerdict(
    view.vmi,
    verdict,
    { emulation: view.emulation, agent: view.agent, ...(view.podIPs === undefined ? {} : { podIPs: view.podIPs }) },
    new Date(view.now),
  );
  return status === undefined ? undefined : { kind: 'write-status', verdict, status };
}

function stopActive(view: SyncView, why: string): Step {
  if (view.launcher.lost) return { kind: 'destroy', why };
  const told = tellLifecycle(view, 'Stopping');
  if (told !== undefined && view.memory.acpiAt !== undefined) return told;
  // An agent that answers shuts the guest down from inside; the shell falls back to ACPI when it fails.
  if (view.memory.acpiAt === undefined)
    return { kind: 'shutdown', why, via: view.agent === undefined ? 'acpi' : 'agent' };
  const deadline = view.memory.acpiAt + view.graceSeconds * 1000;
  if (view.now >= deadline)
    return { kind: 'destroy', why: `${why}; ${ignoredShutdown(view)} for ${view.graceSeconds}s` };
  return { kind: 'wait', ms: Math.min(deadline - view.now, 1000) };
}

function ignoredShutdown(view: SyncView): string {
  return view.memory.shutdownVia === 'agent'
    ? "the guest did not shut down through its agent's guest-shutdown"
    : 'the guest ignored ACPI';
}

/** The verdict for a domain that ended (shut off, crashed or vanished after it ran). */
function endVerdict(view: SyncView): PhaseVerdict | undefined {
  if (view.launcher.lost && view.vmi?.metadata.deletionTimestamp === undefined) {
    return {
      phase: 'Failed',
      reason: REASONS.launcherExited,
      message: 'virt-launcher exited while the domain ran; the domain was stopped',
      paused: false,
    };
  }
  const stopRequested = stopReason(view) !== undefined;
  return domainStateToVmiPhase(view.domain, { stopRequested, shutoffCause: view.shutoffCause });
}

/** Status first, then the launcher, then the domain's definition goes. */
function finishEnded(view: SyncView, verdict: PhaseVerdict | undefined): Step {
  const write = statusStep(view, verdict);
  if (write !== undefined) return write;
  const told = tellExit(view, verdict);
  if (told !== undefined) return told;
  return view.domain.kind === 'present' ? { kind: 'undefine' } : IDLE;
}

function tellExit(view: SyncView, verdict: PhaseVerdict | undefined): Step | undefined {
  if (!view.launcher.connected || view.launcher.exitSent) return undefined;
  const phase = view.vmi?.status?.phase;
  if (verdict !== undefined) return { kind: 'tell-launcher', message: exitFor(verdict) };
  if (phase === 'Failed')
    return {
      kind: 'tell-launcher',
      message: {
        type: 'exit',
        code: LAUNCHER_EXIT_CODES.failed,
        reason: view.vmi?.status?.reason ?? REASONS.guestNotRunning,
        message: 'The VMI failed',
      },
    };
  return {
    kind: 'tell-launcher',
    message: {
      type: 'exit',
      code: LAUNCHER_EXIT_CODES.succeeded,
      reason: REASONS.guestShutdown,
      message: 'The domain is gone',
    },
  };
}

function whileRunning(view: SyncView, verdict: PhaseVerdict | undefined): Step {
  const write = statusStep(view, verdict);
  if (write !== undefined) return write;
  return tellLifecycle(view, verdict?.paused === true ? 'Paused' : 'Running') ?? IDLE;
}

function whenMissing(view: SyncView): Step {
  if (view.vmi === undefined) return { kind: 'forget' };
  if (view.memory.startFailure !== undefined) return finishEnded(view, view.memory.startFailure);
  const phase = view.vmi.status?.phase;
  const ran = view.memory.started || phase === 'Running';
  if (ran || isFinalPhase(phase)) return finishEnded(view, ran ? endVerdict(view) : undefined);
  return notStarted(view);
}

function notStarted(view: SyncView): Step {
  if (stopReason(view) !== undefined) return tellExit(view, undefined) ?? IDLE;
  if (!view.launcher.connected) return IDLE;
  const failure = view.memory.pullFailure;
  return failure !== undefined && view.now < failure.retryAt
    ? pullBackOff(view, failure)
    : { kind: 'define-and-start' };
}

/** ErrImagePull right after a failed pull, ImagePullBackOff until the next attempt (as the kubelet shows them). */
function pullBackOff(view: SyncView, failure: PullFailure): Step {
  const holding = view.now < failure.failedAt + ERR_IMAGE_PULL_HOLD_MS;
  const reason = holding ? REASONS.errImagePull : REASONS.imagePullBackOff;
  const message = holding ? failure.message : `Back-off pulling the containerDisk: ${failure.message}`;
  const status = view.vmi === undefined ? undefined : pullStatus(view.vmi, reason, message, new Date(view.now));
  if (status !== undefined) {
    const verdict: PhaseVerdict = { phase: view.vmi?.status?.phase ?? 'Scheduled', reason, message, paused: false };
    return { kind: 'write-status', verdict, status };
  }
  const next = holding ? failure.failedAt + ERR_IMAGE_PULL_HOLD_MS : failure.retryAt;
  return { kind: 'wait', ms: Math.max(1, next - view.now) };
}

/** How often a source looks at its running migration (a cancel, the timeout). */
export const MIGRATION_POLL_MS = 500;

/** The next step for one VMI uid: a migration's first (../migration/decide.ts), then the VMI's own. */
export function nextStep(view: SyncView): Step {
  if (view.migration === undefined) return ownStep(view);
  const m = migrationStep({
    vmi: view.vmi,
    domain: view.domain,
    launcherConnected: view.launcher.connected,
    stopping: stopReason(view) !== undefined || view.memory.acpiAt !== undefined,
    now: view.now,
    migration: view.migration,
  });
  if (m === undefined) return ownStep(view);
  if (m === 'elsewhere') return ownStep({ ...view, vmi: undefined });
  if (m === 'idle') return IDLE;
  if (m === 'wait') return { kind: 'wait', ms: MIGRATION_POLL_MS };
  return m;
}

function ownStep(view: SyncView): Step {
  if (view.domain.kind === 'missing') return whenMissing(view);
  const why = stopReason(view);
  if (isActive(view.domain.state)) {
    if (why !== undefined) return stopActive(view, why);
    return whileRunning(view, domainStateToVmiPhase(view.domain, { stopRequested: false, shutoffCause: 'unknown' }));
  }
  if (view.domain.state === 'NoState') return IDLE;
  return finishEnded(view, endVerdict(view));
}
