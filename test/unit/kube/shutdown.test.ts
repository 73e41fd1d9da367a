import { SILENT_LOGGER } from '../../../kube/logger.js';
import { STOP_PHASES, runShutdown, shutdownPlan, type StopStep } from '../../../kube/shutdown.js';

const step = (phase: StopStep['phase'], name: string, stop: StopStep['stop'] = () => {}): StopStep => ({
  phase,
  name,
  stop,
});
const names = (plan: ReturnType<typeof shutdownPlan>): string[][] => plan.map((g) => g.map((s) => s.name));

describe('shutdownPlan', () => {
  it('stops workers, then Leases, then caches, then Events, servers and clients last', () => {
    expect(STOP_PHASES).toEqual(['workers', 'leases', 'informers', 'events', 'servers', 'clients']);
    const steps = [
      step('clients', 'kube clients'),
      step('servers', 'probes'),
      step('informers', 'vmis'),
      step('leases', 'leader election'),
      step('events', 'events'),
      step('workers', 'vm queue'),
      step('informers', 'pods'),
      step('workers', 'vmi queue'),
    ];
    expect(names(shutdownPlan(steps))).toEqual([
      ['vm queue', 'vmi queue'],
      ['leader election'],
      ['vmis', 'pods'],
      ['events'],
      ['probes'],
      ['kube clients'],
    ]);
  });

  it('leaves out phases with nothing to stop', () => {
    expect(names(shutdownPlan([step('clients', 'libvirt'), step('workers', 'handler')]))).toEqual([
      ['handler'],
      ['libvirt'],
    ]);
    expect(shutdownPlan([])).toEqual([]);
  });
});

describe('runShutdown', () => {
  it('starts a phase only once every step of the one before settled', async () => {
    const order: string[] = [];
    let releaseQueue: () => void = () => {};
    const queue = new Promise<void>((resolve) => (releaseQueue = resolve));
    const plan = shutdownPlan([
      step('workers', 'queue', async () => {
        order.push('queue stopping');
        await queue;
        order.push('queue stopped');
      }),
      step('workers', 'endpoint', () => void order.push('endpoint stopped')),
      step('leases', 'lease', () => void order.push('lease released')),
    ]);
    const done = runShutdown(plan, SILENT_LOGGER);
    await Promise.resolve();
    expect(order).toEqual(['queue stopping', 'endpoint stopped']);
    releaseQueue();
    expect(await done).toBe(true);
    expect(order).toEqual(['queue stopping', 'endpoint stopped', 'queue stopped', 'lease released']);
  });

  it('goes on past a step that throws, logs it with the step, and reports the stop as unclean', async () => {
    const errors: { fields: object; message: string }[] = [];
    const log = { ...SILENT_LOGGER, error: (fields: object, message: string) => errors.push({ fields, message }) };
    const stopped: string[] = [];
    const plan = shutdownPlan([
      step('informers', 'stuck', () => Promise.reject(new Error('watch would not end'))),
      step('clients', 'kube clients', () => void stopped.push('kube clients')),
    ]);
    expect(await runShutdown(plan, log)).toBe(false);
    expect(stopped).toEqual(['kube clients']);
    expect(errors).toEqual([
      { fields: { err: new Error('watch would not end'), step: 'stuck' }, message: 'Could not stop cleanly' },
    ]);
  });
});
