/**
 * The observe part of a pass: everything {@link nextStep} looks at for one VMI uid, gathered from
 * the informer cache (through the handler's own writes, own-writes.ts), libvirt, the launcher
 * socket, the guest agent watch and the domain's log. All of it asynchronous: a worker never blocks
 * the process on a file (docs/conventions.md §4: the shell reads, the core decides).
 */
import { open } from 'node:fs/promises';
import type { VirtualMachineInstance } from '../api/types.js';
import type { Informer } from '../kube/informer.js';
import type { DomainType } from './domain/host-facts.js';
import { type DomainObservation, type ShutoffCause, shutoffCauseFromLog } from './domain/state.js';
import type { GuestAgentWatch } from './guest-agent-watch.js';
import type { LauncherPodIPs } from './launcher-pod-ips.js';
import type { LauncherServer } from './launcher-server.js';
import type { LibvirtConnection, ObservedDomain } from './libvirt/connection.js';
import type { OwnWrites } from './own-writes.js';
import { FRESH_MEMORY } from './sync/after-step.js';
import type { Memory, SyncView } from './sync/decide.js';
import { domainNameFor, graceSecondsFor } from './sync/subject.js';
import { completionTimeoutSeconds } from '../api/migration.js';
import { DEFAULT_MIGRATION_LIMITS, type MigrationLimits } from '../api/cluster-config.js';
import type { MigrationJobs } from './migration/jobs.js';
import type { MigrationView } from './migration/decide.js';

/** The index of the VMI informer by uid (handler/main.ts registers it). */
export const UID_INDEX = 'uid';

/** How much of the end of a domain log is read for its last `shutting down, reason=` line. */
const LOG_TAIL_BYTES = 8192;

export interface ObserveSources {
  readonly vmis: Pick<Informer<VirtualMachineInstance>, 'byIndex'>;
  readonly ownWrites: OwnWrites;
  readonly libvirt: Pick<LibvirtConnection, 'observe'>;
  readonly launchers: Pick<LauncherServer, 'view' | 'identity'>;
  /** Undefined on the test driver, which has no guests to ask. */
  readonly agents: Pick<GuestAgentWatch, 'of'> | undefined;
  /** The launcher Pods' addresses (status.interfaces); undefined when Pods cannot be read. */
  readonly podIPs: Pick<LauncherPodIPs, 'of'> | undefined;
  /** The domains the last poll saw, by VMI uid. */
  readonly polled: () => ReadonlyMap<string, ObservedDomain>;
  readonly memory: ReadonlyMap<string, Memory>;
  /** Where libvirt writes `<domain>.log`; undefined: not known for this URI. */
  readonly libvirtLogDir: string | undefined;
  readonly emulation: DomainType;
  readonly now: () => number;
  /** This node's migrations; undefined: the handler takes part in none. */
  readonly migration?: Readonly<{ node: string; jobs: Pick<MigrationJobs, 'view'>; limits: () => MigrationLimits }>;
}

/** One observation of a uid: the decision's input, and the domain's name for the executor. */
export interface Observation {
  readonly view: SyncView;
  readonly name: string | undefined;
}

/** The VMI with this uid as the handler should act on it (its own last write while the cache lags). */
export function vmiOf(s: Pick<ObserveSources, 'vmis' | 'ownWrites'>, uid: string): VirtualMachineInstance | undefined {
  return s.ownWrites.read(uid, s.vmis.byIndex(UID_INDEX, uid)[0]);
}

export async function observe(s: ObserveSources, uid: string): Promise<Observation> {
  const vmi = vmiOf(s, uid);
  const polled = s.polled().get(uid);
  const name = domainNameFor(vmi, polled, s.launchers.identity(uid));
  const domain: DomainObservation = name === undefined ? { kind: 'missing' } : await s.libvirt.observe(name, uid);
  const agent = s.agents?.of(uid);
  const view: SyncView = {
    vmi,
    domain,
    shutoffCause: name === undefined ? 'unknown' : await shutoffCause(s.libvirtLogDir, name, domain),
    graceSeconds: graceSecondsFor(vmi, polled),
    launcher: s.launchers.view(uid),
    memory: s.memory.get(uid) ?? FRESH_MEMORY,
    emulation: s.emulation,
    now: s.now(),
    ...(agent === undefined ? {} : { agent }),
    ...(await podIPView(s, vmi, domain)),
    ...migrationView(s, uid, vmi),
  };
  return { view, name };
}

function migrationView(
  s: Pick<ObserveSources, 'migration'>,
  uid: string,
  vmi: VirtualMachineInstance | undefined,
): { migration?: MigrationView } {
  const m = s.migration;
  if (m === undefined) return {};
  const limits = m.limits();
  const seconds =
    vmi === undefined ? DEFAULT_MIGRATION_LIMITS.completionTimeoutPerGiB : completionTimeoutSeconds(vmi, limits);
  const job = m.jobs.view(uid);
  return {
    migration: {
      node: m.node,
      timeoutMs: seconds * 1000,
      progressTimeoutMs: limits.progressTimeoutSeconds * 1000,
      ...(job === undefined ? {} : { job }),
    },
  };
}

/** Once the VMI has a domain (or had one): its Pod's addresses, read before the first status with interfaces. */
async function podIPView(
  s: Pick<ObserveSources, 'podIPs'>,
  vmi: VirtualMachineInstance | undefined,
  domain: DomainObservation,
): Promise<Pick<SyncView, 'podIPs'>> {
  if (vmi === undefined || s.podIPs === undefined) return {};
  if (domain.kind !== 'present' && vmi.status?.phase !== 'Running') return {};
  return { podIPs: await s.podIPs.of(vmi) };
}

/** What the domain's log says ended it; read only for a shut-off domain, `unknown` without a log. */
async function shutoffCause(
  logDir: string | undefined,
  name: string,
  domain: DomainObservation,
): Promise<ShutoffCause> {
  if (domain.kind !== 'present' || domain.state !== 'Shutoff' || logDir === undefined) return 'unknown';
  try {
    return shutoffCauseFromLog(await readTail(`${logDir}/${name}.log`, LOG_TAIL_BYTES));
  } catch {
    return 'unknown';
  }
}

/** The last `bytes` of a file: libvirt appends to a domain's log across its starts, so it only grows. */
async function readTail(path: string, bytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
