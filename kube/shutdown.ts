/**
 * Graceful shutdown of a service, in one order for all of them: what does work stops first (its
 * running items finish), then the Leases (leadership released for a standby, heartbeats ended),
 * then the caches, then pending Events are written, then the probe servers close, and the clients
 * last, since every earlier step may still talk to the API server. Steps of one phase run together.
 */
import type { KubeLogger } from './logger.js';

/** The phases, in the order they stop. */
export const STOP_PHASES = ['workers', 'leases', 'informers', 'events', 'servers', 'clients'] as const;

export type StopPhase = (typeof STOP_PHASES)[number];

/** One thing to stop: when, what (for the log), and how. */
export type StopStep = Readonly<{ phase: StopPhase; name: string; stop: () => Promise<void> | void }>;

/** The steps grouped by phase, phases in {@link STOP_PHASES} order, registration order within. Pure. */
export function shutdownPlan(steps: readonly StopStep[]): readonly (readonly StopStep[])[] {
  return STOP_PHASES.map((phase) => steps.filter((s) => s.phase === phase)).filter((group) => group.length > 0);
}

/**
 * Runs a plan: each phase's steps together, the next phase once they all settled. A step that
 * throws is logged and the rest still run (a stuck informer must not keep the Lease held).
 * Resolves true when every step stopped cleanly.
 */
export async function runShutdown(plan: readonly (readonly StopStep[])[], log: KubeLogger): Promise<boolean> {
  let clean = true;
  for (const group of plan) {
    const results = await Promise.allSettled(group.map(async (s) => s.stop()));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      clean = false;
      log.error({ err: r.reason as unknown, step: group[i]?.name }, 'Could not stop cleanly');
    });
  }
  return clean;
}
